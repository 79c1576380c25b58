import { RecordingSink, SinkClosedError, type Event, type Sink } from '@herald/events';
import { describe, expect, it } from 'vitest';
import { Bridge, listen, NotificationNotCommittedError, urlBuilderFor, type ManifestService, type Repository } from '../src/index.js';
import { testImage } from './helpers/image.js';
import { ctx, listenedRegistry, seedImage } from './helpers/listened-registry.js';
import { RegistryError } from './helpers/memory-repository.js';

const UNKNOWN = `sha256:${'0'.repeat(64)}`;

/** Records what it is given, but rejects the writes whose number (from 1) is listed. */
class FailingSink implements Sink {
  readonly committed: Event[] = [];
  readonly error = new Error('redis unavailable');
  readonly #failing: Set<number>;
  #calls = 0;

  constructor(...failing: number[]) {
    this.#failing = new Set(failing);
  }

  async write(...events: Event[]): Promise<void> {
    this.#calls += 1;
    if (this.#failing.has(this.#calls)) throw this.error;
    this.committed.push(...events);
  }

  async close(): Promise<void> {}
}

type Operation = (repository: Repository) => Promise<unknown>;

const failedOperations: [string, string, Operation][] = [
  ['manifests.get of an unknown tag', 'MANIFEST_UNKNOWN', (r) => r.manifests.get(ctx('GET'), 'nope')],
  ['manifests.get (HEAD) of an unknown digest', 'MANIFEST_UNKNOWN', (r) => r.manifests.get(ctx('HEAD'), UNKNOWN)],
  ['manifests.put referring to an unknown blob', 'MANIFEST_BLOB_UNKNOWN', (r) => r.manifests.put(ctx('PUT'), testImage('z').manifest)],
  ['manifests.delete of an unknown digest', 'MANIFEST_UNKNOWN', (r) => r.manifests.delete(ctx('DELETE'), UNKNOWN)],
  ['blobs.get of an unknown digest', 'BLOB_UNKNOWN', (r) => r.blobs.get(ctx('GET'), UNKNOWN)],
  ['blobs.get (HEAD) of an unknown digest', 'BLOB_UNKNOWN', (r) => r.blobs.get(ctx('HEAD'), UNKNOWN)],
  ['blobs.put with a wrong digest', 'DIGEST_INVALID', (r) => r.blobs.put(ctx('PUT'), testImage('z').layer, { digest: UNKNOWN })],
  ['blobs.mount of a blob the source lacks', 'BLOB_UNKNOWN', (r) => r.blobs.mount(ctx('POST'), 'demo/hello', UNKNOWN)],
  ['blobs.mount from an unknown repository', 'NAME_UNKNOWN', (r) => r.blobs.mount(ctx('POST'), 'demo/none', UNKNOWN)],
  ['blobs.delete of an unknown digest', 'BLOB_UNKNOWN', (r) => r.blobs.delete(ctx('DELETE'), UNKNOWN)],
  ['tags.untag of an unknown tag', 'TAG_UNKNOWN', (r) => r.tags.untag(ctx('DELETE'), 'nope')],
];

describe('listen() when the operation fails', () => {
  it.each(failedOperations)('reports nothing and rethrows for %s', async (_name, code, operation) => {
    const { hello, sink, raw } = listenedRegistry();
    await seedImage(raw('demo/hello'), 'a', 'v1');
    const failure = await operation(hello).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RegistryError);
    expect((failure as RegistryError).code).toBe(code);
    expect(sink.writes).toEqual([]);
  });

  it('reports nothing and rethrows when deleting an unknown repository', async () => {
    const { hello, sink } = listenedRegistry();
    await expect(hello.delete(ctx('DELETE'))).rejects.toMatchObject({ name: 'RegistryError', code: 'NAME_UNKNOWN' });
    expect(sink.writes).toEqual([]);
  });

  it('passes a thrown (not rejected) error through unchanged', async () => {
    const { sink, raw } = listenedRegistry();
    const error = new TypeError('boom');
    const inner = raw('demo/hello');
    const manifests: ManifestService = {
      get: () => {
        throw error;
      },
      put: (...args) => inner.manifests.put(...args),
      delete: (...args) => inner.manifests.delete(...args),
    };
    const bridge = new Bridge(sink, { urlBuilder: urlBuilderFor('http://registry'), source: { addr: 'a', instanceID: 'i' } });
    const repository = listen({ name: inner.name, manifests, blobs: inner.blobs, tags: inner.tags, delete: (c) => inner.delete(c) }, bridge);
    await expect(repository.manifests.get(ctx('GET'), 'v1')).rejects.toBe(error);
    expect(sink.writes).toEqual([]);
  });
});

describe('listen() when the sink rejects the write', () => {
  it('rejects with NotificationNotCommittedError after the operation happened', async () => {
    const sink = new FailingSink(1);
    const { hello, raw } = listenedRegistry({}, sink);
    const { layer, layerDescriptor } = testImage('a');
    const failure = await hello.blobs.put(ctx('PUT'), layer).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(NotificationNotCommittedError);
    const error = failure as NotificationNotCommittedError;
    expect(error).toMatchObject({
      name: 'NotificationNotCommittedError',
      code: 'HERALD_ERR_NOTIFICATION_NOT_COMMITTED',
      operation: 'blobs.put',
      repository: 'demo/hello',
      message: 'blobs.put on demo/hello succeeded but its notification was not committed',
    });
    expect(error.cause).toBe(sink.error);
    expect(error.result).toEqual({ mediaType: 'application/octet-stream', size: layerDescriptor.size, digest: layerDescriptor.digest });
    expect(Object.keys(error)).not.toContain('result');
    await expect(raw('demo/hello').blobs.stat(ctx('HEAD'), layerDescriptor.digest)).resolves.toMatchObject({ digest: layerDescriptor.digest });
    expect(sink.committed).toEqual([]);
  });

  it('carries SinkClosedError as the cause once the sink is closed', async () => {
    const sink = new RecordingSink();
    const { hello, raw } = listenedRegistry({}, sink);
    await seedImage(raw('demo/hello'), 'a', 'v1');
    await sink.close();
    const failure = await hello.tags.untag(ctx('DELETE'), 'v1').then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(NotificationNotCommittedError);
    expect((failure as Error).cause).toBeInstanceOf(SinkClosedError);
    await expect(raw('demo/hello').manifests.get(ctx('GET'), 'v1')).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
  });

  it('rejects a manifest delete when a tag delete is not committed, after committing the ones before', async () => {
    const sink = new FailingSink(2);
    const { hello, raw } = listenedRegistry({}, sink);
    const image = await seedImage(raw('demo/hello'), 'a', 'v1');
    await raw('demo/hello').manifests.put(ctx('PUT'), image.manifest, { tag: 'v2' });
    const failure = await hello.manifests.delete(ctx('DELETE'), image.manifestDigest).then(() => undefined, (error: unknown) => error);
    expect(failure).toMatchObject({ name: 'NotificationNotCommittedError', operation: 'manifests.delete', result: { tags: ['v1', 'v2'] } });
    expect(sink.committed.map((event) => event.target)).toEqual([{ digest: image.manifestDigest, repository: 'demo/hello' }]);
  });

  it('rejects a pull whose event is not committed', async () => {
    const sink = new FailingSink(1);
    const { hello, raw } = listenedRegistry({}, sink);
    await seedImage(raw('demo/hello'), 'a', 'v1');
    await expect(hello.manifests.get(ctx('GET'), 'v1')).rejects.toMatchObject({ operation: 'manifests.get', cause: sink.error });
  });
});
