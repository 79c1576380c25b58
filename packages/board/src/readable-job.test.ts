import { describe, expect, it } from 'vitest';
import { encodeEvents } from '@herald/producer';
import type { Event } from '@herald/events';
import { readableJobData, readableJobName } from './readable-job.js';

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

describe('the title the board gives a job', () => {
  const other: Event = { id: 'e2', timestamp: '2026-11-28T02:15:01Z', action: 'delete', target: { repository: 'demo/hello', digest: `sha256:${'ab'.repeat(32)}` } };

  it('says what the first event did to what, and how many more the delivery holds', () => {
    expect(readableJobName({ name: 'delivery', data: { z: encodeEvents([event]) } })).toBe('push demo/hello:v1');
    expect(readableJobName({ name: 'delivery', data: { z: encodeEvents([other]) } })).toBe('delete demo/hello@sha256:abababababab');
    expect(readableJobName({ name: 'delivery', data: { z: encodeEvents([event, other, event]) } })).toBe('push demo/hello:v1 (+2 more)');
  });

  it('names an envelope of the ingress queue alike', () => {
    expect(readableJobName({ name: 'envelope', data: { events: [other, event] } })).toBe('delete demo/hello@sha256:abababababab (+1 more)');
  });

  it("keeps the job's own name when it holds no events or cannot be read", () => {
    expect(readableJobName({ name: 'envelope', data: { events: [] } })).toBe('envelope');
    expect(readableJobName({ name: 'other', data: 'text' })).toBe('other');
    expect(readableJobName({ name: 'delivery', data: { z: 'CQ==' } })).toBe('delivery (undecodable)');
  });
});
