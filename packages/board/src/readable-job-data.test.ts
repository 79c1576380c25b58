import { describe, expect, it } from 'vitest';
import { encodeEvents } from '@herald/producer';
import type { Event } from '@herald/events';
import { readableJobData } from './board.js';

const event: Event = { id: 'e1', timestamp: '2026-11-28T02:15:00Z', action: 'push', target: { repository: 'demo/hello', tag: 'v1' } };

describe('what the board shows of a job', () => {
  it("shows a delivery's compressed events as JSON, keeping its other fields", () => {
    expect(readableJobData({ z: encodeEvents([event]), acceptedAt: 5 })).toStrictEqual({ acceptedAt: 5, events: [event] });
  });

  it('shows data that is not a compressed delivery as it is', () => {
    expect(readableJobData({ events: [event], acceptedAt: 5 })).toStrictEqual({ events: [event], acceptedAt: 5 });
    expect(readableJobData('text')).toBe('text');
  });

  it('says why a delivery cannot be decoded instead of failing the page', () => {
    expect(readableJobData({ z: 'CQ==' })).toStrictEqual({ z: 'CQ==', undecodable: 'unknown event codec version 9: a newer Herald wrote this delivery' });
  });
});
