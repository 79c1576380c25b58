import { RecordingSink, validateEvents, type Event, type Sink } from '@herald/events';
import { describe, expect, it } from 'vitest';
import { Bridge, type BridgeOptions } from './bridge.js';
import type { ManifestDescriptor } from './listener.js';
import type { RequestContext } from './request-context.js';
import { urlBuilderFor } from './url-builder.js';
import { uuidv7Timestamp } from './uuid-v7.js';

const BASE = 'http://127.0.0.1:5055';
const SOURCE = { addr: 'vm:5055', instanceID: 'a0e347f2-9ce7-4c0c-bbad-58be4942aa89' };
const CONFIG = { mediaType: 'application/vnd.oci.image.config.v1+json', size: 231, digest: 'sha256:c8c5' };
const LAYER = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 177, digest: 'sha256:4bfe' };
const MANIFEST: ManifestDescriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  size: 401,
  digest: 'sha256:812b',
  references: [CONFIG, LAYER],
};
const CTX: RequestContext = {
  request: { id: 'req-1', addr: '127.0.0.1:58982', host: '127.0.0.1:5055', method: 'GET', useragent: 'skopeo/1.9.3' },
  actor: { name: 'alice' },
};
const HEAD: RequestContext = { request: { ...CTX.request, method: 'HEAD' } };

function bridge(options: Partial<BridgeOptions> = {}): { bridge: Bridge; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { bridge: new Bridge(sink, { urlBuilder: urlBuilderFor(BASE), source: SOURCE, ...options }), sink };
}

function only(sink: RecordingSink): Event {
  expect(sink.writes).toHaveLength(1);
  expect(sink.events).toHaveLength(1);
  expect(validateEvents(sink.events)).toEqual([]);
  return sink.events[0]!;
}

describe('Bridge', () => {
  it('writes a manifest push with distribution fields in distribution order', async () => {
    const { bridge: b, sink } = bridge({ now: () => new Date('2026-11-28T02:15:00.169Z') });
    await b.manifestPushed(CTX, 'demo/hello', MANIFEST, { tag: 'v1' });
    const event = only(sink);
    expect(event).toEqual({
      id: expect.any(String),
      timestamp: '2026-11-28T02:15:00.169Z',
      action: 'push',
      target: {
        mediaType: MANIFEST.mediaType,
        size: 401,
        digest: 'sha256:812b',
        length: 401,
        repository: 'demo/hello',
        url: `${BASE}/v2/demo/hello/manifests/sha256:812b`,
        tag: 'v1',
      },
      request: CTX.request,
      actor: { name: 'alice' },
      source: SOURCE,
    });
    expect(Object.keys(event)).toEqual(['id', 'timestamp', 'action', 'target', 'request', 'actor', 'source']);
    expect(Object.keys(event.target)).toEqual(['mediaType', 'size', 'digest', 'length', 'repository', 'url', 'tag']);
  });

  it('makes the event id a UUIDv7 of the event time', async () => {
    const time = new Date('2026-11-28T02:15:00.169Z');
    const { bridge: b, sink } = bridge({ now: () => time });
    await b.blobPushed(CTX, 'demo/hello', LAYER);
    expect(uuidv7Timestamp(only(sink).id)).toBe(time.getTime());
  });

  it('includes references only when includeReferences is set, stripped to descriptor fields', async () => {
    const withExtra: ManifestDescriptor = { ...MANIFEST, references: [{ ...CONFIG, junk: 1 }, LAYER] };
    const off = bridge();
    await off.bridge.manifestPushed(CTX, 'demo/hello', withExtra);
    expect(only(off.sink).target).not.toHaveProperty('references');
    const on = bridge({ includeReferences: true });
    await on.bridge.manifestPulled(CTX, 'demo/hello', withExtra);
    expect(only(on.sink).target.references).toEqual([CONFIG, LAYER]);
  });

  it('leaves references out when a manifest has none, even with includeReferences', async () => {
    const { bridge: b, sink } = bridge({ includeReferences: true });
    await b.manifestPushed(CTX, 'demo/hello', { ...MANIFEST, references: [] });
    expect(only(sink).target).not.toHaveProperty('references');
  });

  it('reports a HEAD pull as a pull with method HEAD', async () => {
    const { bridge: b, sink } = bridge();
    await b.blobPulled(HEAD, 'demo/hello', LAYER);
    await b.manifestPulled(HEAD, 'demo/hello', MANIFEST);
    expect(sink.events.map((event) => [event.action, event.request?.method])).toEqual([
      ['pull', 'HEAD'],
      ['pull', 'HEAD'],
    ]);
  });

  it('writes nothing for HEAD pulls when ignoreHeadPulls is set, and still reports GET pulls', async () => {
    const { bridge: b, sink } = bridge({ ignoreHeadPulls: true });
    await b.blobPulled(HEAD, 'demo/hello', LAYER);
    await b.manifestPulled(HEAD, 'demo/hello', MANIFEST);
    expect(sink.writes).toEqual([]);
    await b.blobPulled(CTX, 'demo/hello', LAYER);
    expect(only(sink).action).toBe('pull');
  });

  it('writes a mount with fromRepository before url', async () => {
    const { bridge: b, sink } = bridge();
    await b.blobMounted(CTX, 'demo/other', LAYER, 'demo/hello');
    const { target } = only(sink);
    expect(target).toEqual({
      ...LAYER,
      length: 177,
      repository: 'demo/other',
      fromRepository: 'demo/hello',
      url: `${BASE}/v2/demo/other/blobs/sha256:4bfe`,
    });
    expect(Object.keys(target)).toEqual(['mediaType', 'size', 'digest', 'length', 'repository', 'fromRepository', 'url']);
  });

  it('writes deletes with only the fields distribution writes', async () => {
    const { bridge: b, sink } = bridge();
    await b.manifestDeleted(CTX, 'demo/hello', 'sha256:812b');
    await b.blobDeleted(CTX, 'demo/hello', 'sha256:4bfe');
    await b.tagDeleted(CTX, 'demo/hello', 'v1');
    await b.repoDeleted(CTX, 'demo/hello');
    expect(sink.events.map((event) => [event.action, event.target])).toEqual([
      ['delete', { digest: 'sha256:812b', repository: 'demo/hello' }],
      ['delete', { digest: 'sha256:4bfe', repository: 'demo/hello' }],
      ['delete', { repository: 'demo/hello', tag: 'v1' }],
      ['delete', { repository: 'demo/hello' }],
    ]);
    expect(validateEvents(sink.events)).toEqual([]);
  });

  it('writes empty request and actor records when the context has none', async () => {
    const { bridge: b, sink } = bridge();
    await b.repoDeleted({}, 'demo/hello');
    expect(only(sink)).toMatchObject({ request: {}, actor: {}, source: SOURCE });
  });

  it('copies only the request and actor fields distribution defines', async () => {
    const { bridge: b, sink } = bridge();
    const ctx = { request: { id: 'r', method: 'GET', headers: { authorization: 'secret' } }, actor: { name: 'bob', token: 'secret' } };
    await b.blobPulled(ctx, 'demo/hello', LAYER);
    const event = only(sink);
    expect(event.request).toEqual({ id: 'r', method: 'GET' });
    expect(event.actor).toEqual({ name: 'bob' });
    expect(JSON.stringify(event)).not.toContain('secret');
  });

  it('gives each event its own copy of source', async () => {
    const { bridge: b, sink } = bridge();
    await b.repoDeleted(CTX, 'a');
    await b.repoDeleted(CTX, 'b');
    expect(sink.events[0]!.source).not.toBe(sink.events[1]!.source);
    expect(sink.events[0]!.id).not.toBe(sink.events[1]!.id);
  });

  it('rejects with the error of a sink whose write rejects', async () => {
    const failure = new Error('not committed');
    const failing: Sink = { write: () => Promise.reject(failure), close: async () => {} };
    const b = new Bridge(failing, { urlBuilder: urlBuilderFor(BASE), source: SOURCE });
    await expect(b.manifestPushed(CTX, 'demo/hello', MANIFEST)).rejects.toBe(failure);
  });
});
