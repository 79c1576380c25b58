/** Envelope media type sent by distribution 2.x and GitLab's container registry. */
export const EVENTS_MEDIA_TYPE_V1 = 'application/vnd.docker.distribution.events.v1+json';

/** Envelope media type sent by distribution 3.x; the envelope has the same shape as v1. */
export const EVENTS_MEDIA_TYPE_V2 = 'application/vnd.docker.distribution.events.v2+json';

/** The envelope media types Herald accepts and sends. */
export type EventsMediaType = typeof EVENTS_MEDIA_TYPE_V1 | typeof EVENTS_MEDIA_TYPE_V2;

/**
 * Whether a Content-Type names an events envelope. Parameters (`; charset=utf-8`)
 * and letter case are ignored, as HTTP says they should be.
 */
export function isEventsMediaType(contentType: string | undefined): boolean {
  const essence = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return essence === EVENTS_MEDIA_TYPE_V1 || essence === EVENTS_MEDIA_TYPE_V2;
}
