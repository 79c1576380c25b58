import { RecordingSink, type Event, type Sink, type Target } from '@herald/events';
import { expect } from 'vitest';
import { Bridge, listen, urlBuilderFor, type BridgeOptions, type Repository, type RequestContext } from '../../src/index.js';
import { MemoryRegistry } from './memory-repository.js';
import { testImage, type TestImage } from './image.js';

export const BASE_URL = 'http://127.0.0.1:5055';
export const SOURCE = { addr: 'vm:5055', instanceID: 'a0e347f2-9ce7-4c0c-bbad-58be4942aa89' };

/** A request context like the ones in the captured fixtures: skopeo, no auth. */
export function ctx(method: string, id = `req-${method.toLowerCase()}`): RequestContext {
  return { request: { id, addr: '127.0.0.1:58960', host: '127.0.0.1:5055', method, useragent: 'skopeo/1.9.3' } };
}

export interface ListenedRegistry<S extends Sink> {
  registry: MemoryRegistry;
  sink: S;
  /** `demo/hello`, decorated with listen(). */
  hello: Repository;
  /** `demo/other`, decorated with listen(). */
  other: Repository;
  /** Repositories without listen(), to set things up or look at them without events. */
  raw(name: string): Repository;
}

/** An in-memory registry whose repositories report to a Bridge writing to `sink` (a RecordingSink by default). */
export function listenedRegistry<S extends Sink = RecordingSink>(options: Partial<BridgeOptions> = {}, given?: S): ListenedRegistry<S> {
  const sink = (given ?? new RecordingSink()) as S;
  const registry = new MemoryRegistry();
  const bridge = new Bridge(sink, { urlBuilder: urlBuilderFor(BASE_URL), source: SOURCE, ...options });
  return {
    registry,
    sink,
    hello: listen(registry.repository('demo/hello'), bridge),
    other: listen(registry.repository('demo/other'), bridge),
    raw: (name) => registry.repository(name),
  };
}

/** Stores an image in a repository without reporting anything; tags it when `tag` is given. */
export async function seedImage(repository: Repository, seed: string, tag?: string): Promise<TestImage> {
  const image = testImage(seed);
  const setup = ctx('PUT', 'seed');
  await repository.blobs.put(setup, image.config);
  await repository.blobs.put(setup, image.layer);
  await repository.manifests.put(setup, image.manifest, tag === undefined ? {} : { tag });
  return image;
}

/** The event distribution would write: id and timestamp are checked for type only. */
export function expectedEvent(action: string, target: Target, method: string, requestId?: string): Event {
  return {
    id: expect.any(String),
    timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    action,
    target,
    request: ctx(method, requestId).request,
    actor: {},
    source: SOURCE,
  };
}
