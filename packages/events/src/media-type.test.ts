import { describe, expect, it } from 'vitest';
import { EVENTS_MEDIA_TYPE_V1, EVENTS_MEDIA_TYPE_V2, isEventsMediaType } from './media-type.js';

describe('isEventsMediaType', () => {
  it.each([
    [EVENTS_MEDIA_TYPE_V1, true],
    [EVENTS_MEDIA_TYPE_V2, true],
    [`${EVENTS_MEDIA_TYPE_V1}; charset=utf-8`, true],
    [EVENTS_MEDIA_TYPE_V2.toUpperCase(), true],
    ['application/vnd.docker.distribution.events.v3+json', false],
    ['application/json', false],
    [undefined, false],
    ['', false],
  ])('%s -> %s', (contentType, expected) => {
    expect(isEventsMediaType(contentType)).toBe(expected);
  });
});
