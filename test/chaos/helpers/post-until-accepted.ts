import { EVENTS_MEDIA_TYPE_V1, type Event } from '@herald/events';
import { sleep } from './wait-until.js';

/**
 * POSTs an envelope to ingest until it answers 202, as distribution's retrying sink does: a
 * refused connection, a reset or a 5xx means "not acknowledged, send it again". `url` is
 * read at each try (ingest may have moved after a restart). Returns the tries refused.
 */
export async function postUntilAccepted(url: () => string, events: readonly Event[], pauseMs: number): Promise<number> {
  const body = JSON.stringify({ events });
  for (let refused = 0; ; refused += 1) {
    const status = await fetch(url(), { method: 'POST', headers: { 'content-type': EVENTS_MEDIA_TYPE_V1 }, body }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 202) return refused;
    await sleep(pauseMs);
  }
}
