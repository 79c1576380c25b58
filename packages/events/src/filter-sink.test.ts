import { describe, expect, it } from 'vitest';
import { SinkClosedError } from './errors.js';
import type { Event } from './event.js';
import { acceptsEvent, FilterSink } from './filter-sink.js';
import { RecordingSink } from './recording-sink.js';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

function event(id: string, action: string, mediaType?: string): Event {
  return {
    id,
    timestamp: '2026-11-28T00:00:00Z',
    action,
    target: mediaType === undefined ? { repository: 'a/b' } : { repository: 'a/b', mediaType },
  };
}

const events = [
  event('push-manifest', 'push', MANIFEST),
  event('push-layer', 'push', LAYER),
  event('pull-manifest', 'pull', MANIFEST),
  event('pull-layer', 'pull', LAYER),
  event('delete-tag', 'delete'),
  event('rename', 'rename'),
];

async function kept(filter: ConstructorParameters<typeof FilterSink>[1]): Promise<string[]> {
  const inner = new RecordingSink();
  await new FilterSink(inner, filter).write(...events);
  return inner.events.map((e) => e.id);
}

describe('FilterSink', () => {
  it('passes everything with an empty filter', async () => {
    expect(await kept({})).toStrictEqual(events.map((e) => e.id));
  });

  it('drops ignored media types on their own', async () => {
    expect(await kept({ mediaTypes: [LAYER] })).toStrictEqual(['push-manifest', 'pull-manifest', 'delete-tag', 'rename']);
  });

  it('drops ignored actions when no media type is ignored', async () => {
    expect(await kept({ actions: ['pull'] })).toStrictEqual(['push-manifest', 'push-layer', 'delete-tag', 'rename']);
  });

  it('combines media types and actions with OR', async () => {
    expect(await kept({ mediaTypes: [LAYER], actions: ['pull', 'rename'] })).toStrictEqual(['push-manifest', 'delete-tag']);
  });

  it('keeps events without a media type unless their action is ignored', async () => {
    expect(await kept({ mediaTypes: [MANIFEST, LAYER] })).toStrictEqual(['delete-tag', 'rename']);
    expect(await kept({ mediaTypes: [MANIFEST, LAYER], actions: ['delete'] })).toStrictEqual(['rename']);
  });

  it('does not call the inner sink when every event is dropped', async () => {
    const inner = new RecordingSink();
    await new FilterSink(inner, { actions: ['push', 'pull', 'delete', 'rename'] }).write(...events);
    expect(inner.writes).toStrictEqual([]);
  });

  it('writes the kept events in one call, in order', async () => {
    const inner = new RecordingSink();
    await new FilterSink(inner, { actions: ['pull'] }).write(...events);
    expect(inner.writes.map((write) => write.map((e) => e.id))).toStrictEqual([
      ['push-manifest', 'push-layer', 'delete-tag', 'rename'],
    ]);
  });

  it('propagates a rejected inner write', async () => {
    const inner = new RecordingSink();
    await inner.close();
    await expect(new FilterSink(inner, {}).write(events[0]!)).rejects.toBeInstanceOf(SinkClosedError);
  });

  it('rejects write after close and closes the inner sink once', async () => {
    const inner = new RecordingSink();
    const sink = new FilterSink(inner, {});
    await sink.close();
    await sink.close();
    expect(inner.closed).toBe(true);
    await expect(sink.write(events[0]!)).rejects.toBeInstanceOf(SinkClosedError);
    await expect(sink.write(events[0]!)).rejects.toMatchObject({ code: 'HERALD_ERR_SINK_CLOSED' });
  });
});

describe('acceptsEvent', () => {
  it('is the predicate FilterSink applies', () => {
    const accepts = acceptsEvent({ mediaTypes: [LAYER], actions: ['pull'] });
    expect(events.filter(accepts).map((e) => e.id)).toStrictEqual(['push-manifest', 'delete-tag', 'rename']);
  });
});
