import { validateEvents } from '@herald/events';
import { describe, expect, it } from 'vitest';
import { BLOB_MEDIA_TYPE } from './helpers/memory-repository.js';
import { testImage } from './helpers/image.js';
import { BASE_URL, ctx, expectedEvent, listenedRegistry, seedImage } from './helpers/listened-registry.js';

const manifestUrl = (repo: string, digest: string): string => `${BASE_URL}/v2/${repo}/manifests/${digest}`;
const blobUrl = (repo: string, digest: string): string => `${BASE_URL}/v2/${repo}/blobs/${digest}`;

describe('listen() with a Bridge', () => {
  it('reports a blob push', async () => {
    const { hello, sink } = listenedRegistry();
    const { layer, layerDescriptor: { digest, size } } = testImage('a');
    const descriptor = await hello.blobs.put(ctx('PUT'), layer, { digest });
    expect(descriptor).toEqual({ mediaType: BLOB_MEDIA_TYPE, size, digest });
    expect(sink.events).toEqual([
      expectedEvent(
        'push',
        { mediaType: BLOB_MEDIA_TYPE, size, digest, length: size, repository: 'demo/hello', url: blobUrl('demo/hello', digest) },
        'PUT',
      ),
    ]);
  });

  it('reports a manifest push with its tag and without references by default', async () => {
    const { hello, sink, raw } = listenedRegistry();
    const image = await seedImage(raw('demo/hello'), 'a');
    await hello.manifests.put(ctx('PUT'), image.manifest, { tag: 'v1' });
    const size = image.manifest.payload.byteLength;
    expect(sink.events).toEqual([
      expectedEvent(
        'push',
        {
          mediaType: image.manifest.mediaType,
          size,
          digest: image.manifestDigest,
          length: size,
          repository: 'demo/hello',
          url: manifestUrl('demo/hello', image.manifestDigest),
          tag: 'v1',
        },
        'PUT',
      ),
    ]);
  });

  it('reports a manifest push with references when includeReferences is set', async () => {
    const { hello, sink, raw } = listenedRegistry({ includeReferences: true });
    const image = await seedImage(raw('demo/hello'), 'a');
    await hello.manifests.put(ctx('PUT'), image.manifest);
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]!.target).not.toHaveProperty('tag');
    expect(sink.events[0]!.target.references).toEqual([image.configDescriptor, image.layerDescriptor]);
  });

  it('reports a manifest pull by tag with the tag and a url by digest', async () => {
    const { hello, sink, raw } = listenedRegistry();
    const image = await seedImage(raw('demo/hello'), 'a', 'v1');
    const manifest = await hello.manifests.get(ctx('GET'), 'v1');
    expect(manifest.descriptor.digest).toBe(image.manifestDigest);
    const size = image.manifest.payload.byteLength;
    expect(sink.events).toEqual([
      expectedEvent(
        'pull',
        {
          mediaType: image.manifest.mediaType,
          size,
          digest: image.manifestDigest,
          length: size,
          repository: 'demo/hello',
          url: manifestUrl('demo/hello', image.manifestDigest),
          tag: 'v1',
        },
        'GET',
      ),
    ]);
  });

  it('reports a manifest pull by digest without a tag', async () => {
    const { hello, sink, raw } = listenedRegistry();
    const image = await seedImage(raw('demo/hello'), 'a', 'v1');
    await hello.manifests.get(ctx('GET'), image.manifestDigest);
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]!.target).not.toHaveProperty('tag');
  });

  it('reports a manifest HEAD as a pull with request method HEAD', async () => {
    const { hello, sink, raw } = listenedRegistry();
    const image = await seedImage(raw('demo/hello'), 'a', 'v1');
    await hello.manifests.get(ctx('HEAD'), 'v1');
    const size = image.manifest.payload.byteLength;
    expect(sink.events).toEqual([
      expectedEvent(
        'pull',
        {
          mediaType: image.manifest.mediaType,
          size,
          digest: image.manifestDigest,
          length: size,
          repository: 'demo/hello',
          url: manifestUrl('demo/hello', image.manifestDigest),
          tag: 'v1',
        },
        'HEAD',
      ),
    ]);
  });

  it('reports blob pulls for GET and HEAD', async () => {
    const { hello, sink, raw } = listenedRegistry();
    const { layerDescriptor: { digest, size } } = await seedImage(raw('demo/hello'), 'a');
    const blob = await hello.blobs.get(ctx('GET'), digest);
    expect(blob.descriptor).toEqual({ mediaType: BLOB_MEDIA_TYPE, size, digest });
    await hello.blobs.get(ctx('HEAD'), digest);
    const target = { mediaType: BLOB_MEDIA_TYPE, size, digest, length: size, repository: 'demo/hello', url: blobUrl('demo/hello', digest) };
    expect(sink.events).toEqual([expectedEvent('pull', target, 'GET'), expectedEvent('pull', target, 'HEAD')]);
  });

  it('reports nothing for HEAD requests when ignoreHeadPulls is set, and still reports GET', async () => {
    const { hello, sink, raw } = listenedRegistry({ ignoreHeadPulls: true });
    const image = await seedImage(raw('demo/hello'), 'a', 'v1');
    await hello.manifests.get(ctx('HEAD'), 'v1');
    await hello.blobs.get(ctx('HEAD'), image.layerDescriptor.digest);
    expect(sink.writes).toEqual([]);
    await hello.blobs.get(ctx('GET'), image.layerDescriptor.digest);
    expect(sink.events.map((event) => [event.action, event.request?.method])).toEqual([['pull', 'GET']]);
  });

  it('reports a blob mount with fromRepository', async () => {
    const { other, sink, raw } = listenedRegistry();
    const { layerDescriptor: { digest, size } } = await seedImage(raw('demo/hello'), 'a');
    await other.blobs.mount(ctx('POST'), 'demo/hello', digest);
    expect(sink.events).toEqual([
      expectedEvent(
        'mount',
        {
          mediaType: BLOB_MEDIA_TYPE,
          size,
          digest,
          length: size,
          repository: 'demo/other',
          fromRepository: 'demo/hello',
          url: blobUrl('demo/other', digest),
        },
        'POST',
      ),
    ]);
    await expect(raw('demo/other').blobs.stat(ctx('HEAD'), digest)).resolves.toMatchObject({ digest });
  });

  it('reports a manifest delete, then one delete per tag that pointed at it, one write each', async () => {
    const { hello, sink, raw } = listenedRegistry();
    const image = await seedImage(raw('demo/hello'), 'a', 'v1');
    await raw('demo/hello').manifests.put(ctx('PUT'), image.manifest, { tag: 'latest' });
    await seedImage(raw('demo/hello'), 'b', 'v2');
    const deletion = await hello.manifests.delete(ctx('DELETE'), image.manifestDigest);
    expect(deletion).toEqual({ tags: ['v1', 'latest'] });
    expect(sink.events).toEqual([
      expectedEvent('delete', { digest: image.manifestDigest, repository: 'demo/hello' }, 'DELETE'),
      expectedEvent('delete', { repository: 'demo/hello', tag: 'v1' }, 'DELETE'),
      expectedEvent('delete', { repository: 'demo/hello', tag: 'latest' }, 'DELETE'),
    ]);
    expect(sink.writes.map((write) => write.length)).toEqual([1, 1, 1]);
  });

  it('reports a manifest delete alone when no tag pointed at it', async () => {
    const { hello, sink, raw } = listenedRegistry();
    const image = await seedImage(raw('demo/hello'), 'a');
    await hello.manifests.delete(ctx('DELETE'), image.manifestDigest);
    expect(sink.events).toEqual([expectedEvent('delete', { digest: image.manifestDigest, repository: 'demo/hello' }, 'DELETE')]);
  });

  it('reports a blob delete', async () => {
    const { hello, sink, raw } = listenedRegistry();
    const { layerDescriptor: { digest } } = await seedImage(raw('demo/hello'), 'a');
    await hello.blobs.delete(ctx('DELETE'), digest);
    expect(sink.events).toEqual([expectedEvent('delete', { digest, repository: 'demo/hello' }, 'DELETE')]);
  });

  it('reports a tag delete', async () => {
    const { hello, sink, raw } = listenedRegistry();
    await seedImage(raw('demo/hello'), 'a', 'v1');
    await hello.tags.untag(ctx('DELETE'), 'v1');
    expect(sink.events).toEqual([expectedEvent('delete', { repository: 'demo/hello', tag: 'v1' }, 'DELETE')]);
  });

  it('reports a repository delete', async () => {
    const { hello, sink, raw, registry } = listenedRegistry();
    await seedImage(raw('demo/hello'), 'a', 'v1');
    await hello.delete(ctx('DELETE'));
    expect(registry.has('demo/hello')).toBe(false);
    expect(sink.events).toEqual([expectedEvent('delete', { repository: 'demo/hello' }, 'DELETE')]);
  });

  it('reports nothing for a stat', async () => {
    const { hello, sink, raw } = listenedRegistry();
    const { layerDescriptor: { digest } } = await seedImage(raw('demo/hello'), 'a');
    await hello.blobs.stat(ctx('HEAD'), digest);
    expect(sink.writes).toEqual([]);
  });

  it('carries the actor of the context', async () => {
    const { hello, sink } = listenedRegistry();
    await hello.blobs.put({ ...ctx('PUT'), actor: { name: 'alice' } }, testImage('a').layer);
    expect(sink.events[0]!.actor).toEqual({ name: 'alice' });
  });

  it('keeps the repository name of the decorated repository', () => {
    const { hello, other } = listenedRegistry();
    expect([hello.name, other.name]).toEqual(['demo/hello', 'demo/other']);
  });

  it('emits only events that pass validateEvents', async () => {
    const { hello, other, sink } = listenedRegistry({ includeReferences: true });
    const image = testImage('a');
    await hello.blobs.put(ctx('PUT'), image.config);
    await hello.blobs.put(ctx('PUT'), image.layer);
    await hello.manifests.put(ctx('PUT'), image.manifest, { tag: 'v1' });
    await hello.manifests.get(ctx('GET'), 'v1');
    await hello.manifests.get(ctx('HEAD'), image.manifestDigest);
    await hello.blobs.get(ctx('HEAD'), image.layerDescriptor.digest);
    await other.blobs.mount(ctx('POST'), 'demo/hello', image.layerDescriptor.digest);
    await other.blobs.delete(ctx('DELETE'), image.layerDescriptor.digest);
    await hello.manifests.put(ctx('PUT'), image.manifest, { tag: 'v2' });
    await hello.tags.untag(ctx('DELETE'), 'v2');
    await hello.manifests.delete(ctx('DELETE'), image.manifestDigest);
    await hello.delete(ctx('DELETE'));
    expect(sink.events).toHaveLength(13);
    expect(validateEvents(sink.events)).toEqual([]);
    expect(new Set(sink.events.map((event) => event.id)).size).toBe(13);
  });
});
