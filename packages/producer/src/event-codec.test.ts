import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { EventCodecError } from './errors.js';
import { decodeEvents, encodeEvents } from './event-codec.js';

const fixtures = (name: string) => new URL(`../../events/test/fixtures/${name}`, import.meta.url);
const captured: Event[][] = readFileSync(fixtures('distribution-2.8.2.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => (JSON.parse(line) as { body: { events: Event[] } }).body.events);
const gitlab = (JSON.parse(readFileSync(fixtures('gitlab.json'), 'utf8')) as { events: Event[] }).events;

describe('event codec', () => {
  it('gives back every captured envelope exactly, field order included', () => {
    for (const events of [...captured, gitlab]) {
      const decoded = decodeEvents(encodeEvents(events));
      expect(decoded).toStrictEqual(events);
      expect(JSON.stringify(decoded)).toBe(JSON.stringify(events));
    }
  });

  it('stores a captured push event in well under half its JSON size', () => {
    const push = captured.find((events) => events[0]!.action === 'push' && events[0]!.target.references !== undefined)![0]!;
    const json = JSON.stringify([push]).length;
    expect(encodeEvents([push]).length).toBeLessThan(json / 2);
  });

  it('refuses data of an unknown codec version, naming it', () => {
    const encoded = Buffer.from(encodeEvents(captured[0]!), 'base64');
    encoded[0] = 9;
    expect(() => decodeEvents(encoded.toString('base64'))).toThrow(new EventCodecError('unknown event codec version 9: a newer Herald wrote this delivery'));
  });

  it('refuses damaged data with an EventCodecError', () => {
    const encoded = Buffer.from(encodeEvents(captured[0]!), 'base64');
    expect(() => decodeEvents(encoded.subarray(0, 12).toString('base64'))).toThrow(EventCodecError);
  });
});
