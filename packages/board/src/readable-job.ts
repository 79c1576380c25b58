import type { Event } from '@herald/events';
import { deliveryEvents, type DeliveryJobData } from '@herald/producer';

function isDelivery(data: unknown): data is DeliveryJobData {
  return typeof data === 'object' && data !== null && typeof (data as DeliveryJobData).z === 'string';
}

/**
 * What the board shows of a job's data: a delivery's events as readable JSON, whatever
 * encoding Redis holds them in; anything else as it is.
 */
export function readableJobData(data: unknown): unknown {
  if (!isDelivery(data)) return data;
  const { z, ...rest } = data as DeliveryJobData & Record<string, unknown>;
  try {
    return { ...rest, events: deliveryEvents({ z }) };
  } catch (error) {
    return { ...rest, z, undecodable: (error as Error).message };
  }
}

/** `push team/app:v1`, `delete team/app@sha256:812b0aad7519`: what an event did to what. */
function describeEvent(event: Event): string {
  const { repository, tag, digest } = event.target;
  const reference = tag !== undefined && tag !== '' ? `:${tag}` : digest !== undefined && digest !== '' ? `@${digest.slice(0, 19)}` : '';
  return `${event.action} ${repository ?? '?'}${reference}`;
}

/** The events of a delivery, or of an envelope in the ingress queue; undefined for anything else. Throws when undecodable. */
function eventsOf(data: unknown): readonly Event[] | undefined {
  if (isDelivery(data)) return deliveryEvents(data);
  const events = (data as { events?: unknown } | null)?.events;
  return Array.isArray(events) && events.every((event) => typeof (event as Event)?.target === 'object') ? (events as Event[]) : undefined;
}

/**
 * The title of a job in the board: what its first event did and to what, and how many
 * more it holds (`push team/app:v1 (+2 more)`); the job's own name when it holds no events.
 */
export function readableJobName(job: { name?: string; data?: unknown }): string {
  const fallback = job.name ?? '';
  try {
    const [first, ...rest] = eventsOf(job.data) ?? [];
    if (first === undefined) return fallback;
    return rest.length === 0 ? describeEvent(first) : `${describeEvent(first)} (+${rest.length} more)`;
  } catch {
    return `${fallback} (undecodable)`;
  }
}
