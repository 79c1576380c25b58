import { readFileSync } from 'node:fs';
import { validateEvents, type Event } from '@herald/events';
import { describe, expect, it } from 'vitest';
import { testImage } from './helpers/image.js';
import { BASE_URL, ctx, listenedRegistry } from './helpers/listened-registry.js';

const FIXTURE = new URL('../../events/test/fixtures/distribution-2.8.2.jsonl', import.meta.url);

/** The events distribution 2.8.2 sent to the unfiltered endpoint, in order. */
function capturedEvents(): Event[] {
  return readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { path: string; body: { events: Event[] } })
    .filter((request) => request.path === '/events')
    .flatMap((request) => request.body.events);
}

/** What kind of operation an event reports, judged from its shape: `pull manifest HEAD`, `delete tag`... */
function kindOf(event: Event): string {
  const { target } = event;
  let object = 'blob';
  if (target.tag !== undefined && target.digest === undefined) object = 'tag';
  else if (target.mediaType === undefined && target.digest !== undefined) object = 'digest';
  else if (target.mediaType?.includes('manifest') === true) object = 'manifest';
  return [event.action, object, event.request?.method === 'HEAD' ? 'HEAD' : ''].join(' ').trim();
}

/** Runs what skopeo and curl did in the capture (the blob delete in demo/other), against a listened in-memory registry. */
async function replayCapture(): Promise<Event[]> {
  const { sink, hello, other } = listenedRegistry({ includeReferences: true });
  const image = testImage('capture');
  await hello.blobs.put(ctx('PUT'), image.config);
  await hello.blobs.put(ctx('PUT'), image.layer);
  await hello.manifests.put(ctx('PUT'), image.manifest, { tag: 'v1' });
  await hello.manifests.get(ctx('GET'), 'v1');
  await hello.blobs.get(ctx('HEAD'), image.layerDescriptor.digest);
  await other.blobs.mount(ctx('POST'), 'demo/hello', image.layerDescriptor.digest);
  await hello.manifests.delete(ctx('DELETE'), image.manifestDigest);
  await other.blobs.delete(ctx('DELETE'), image.layerDescriptor.digest);
  return sink.events;
}

/** The event with everything that varies between runs replaced, leaving field names and fixed values. */
function shape(event: Event): unknown {
  const url = event.target.url?.replace(/^http:\/\/[^/]+/, '').replace(/sha256:[0-9a-f]{64}/, '<digest>').replace(/demo\/\w+/, '<repo>');
  return {
    keys: Object.keys(event),
    targetKeys: Object.keys(event.target),
    mediaType: event.target.mediaType,
    references: event.target.references?.map((reference) => [Object.keys(reference), reference.mediaType]),
    url,
    lengthIsSize: event.target.length === event.target.size,
    requestKeys: Object.keys(event.request ?? {}),
    method: event.request?.method,
    actor: event.actor,
    sourceKeys: Object.keys(event.source ?? {}),
  };
}

describe('events mirror what distribution 2.8.2 sent', () => {
  it('reads the capture', () => {
    expect(capturedEvents().map(kindOf)).toEqual([
      'push blob',
      'push manifest',
      'pull manifest',
      'pull blob HEAD',
      'mount blob',
      'delete digest',
      'delete tag',
      'delete digest',
      'push manifest',
      'pull blob HEAD',
    ]);
  });

  it('writes, for each kind of operation in the capture, events of the same shape', async () => {
    const ours = await replayCapture();
    expect(validateEvents(ours)).toEqual([]);
    const byKind = new Map(ours.map((event) => [kindOf(event), event]));
    for (const captured of capturedEvents()) {
      const kind = kindOf(captured);
      const mine = byKind.get(kind);
      expect(mine, kind).toBeDefined();
      expect(shape(mine!), kind).toEqual(shape(captured));
    }
  });

  it('uses the urls distribution uses', async () => {
    const ours = await replayCapture();
    for (const event of ours.filter((e) => e.target.url !== undefined)) {
      const kind = event.target.url!.includes('/manifests/') ? 'manifests' : 'blobs';
      expect(event.target.url).toBe(`${BASE_URL}/v2/${event.target.repository}/${kind}/${event.target.digest}`);
    }
  });
});
