import { createHash } from 'node:crypto';
import type { Descriptor } from '@herald/events';
import type {
  BlobContent,
  BlobDescriptor,
  BlobStore,
  Manifest,
  ManifestContent,
  ManifestDeletion,
  ManifestDescriptor,
  ManifestOptions,
  ManifestService,
  Repository,
  RequestContext,
  TagService,
} from '../../src/index.js';

/** The media type distribution reports for every blob. */
export const BLOB_MEDIA_TYPE = 'application/octet-stream';

/** A registry error with the code distribution's API would answer with. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export function digestOf(content: Uint8Array): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

interface RepositoryState {
  blobs: Set<string>;
  manifests: Map<string, Manifest>;
  tags: Map<string, string>;
}

/** Descriptors a manifest refers to: an image's config and layers, or an index's manifests. */
function referencesOf(payload: Uint8Array): Descriptor[] {
  const parsed = JSON.parse(Buffer.from(payload).toString('utf8')) as {
    config?: Descriptor;
    layers?: Descriptor[];
    manifests?: Descriptor[];
  };
  if (parsed.manifests !== undefined) return parsed.manifests;
  return [...(parsed.config === undefined ? [] : [parsed.config]), ...(parsed.layers ?? [])];
}

/**
 * A registry in memory: blobs are stored once and linked into repositories, as in
 * distribution, so that mounts work. Unknown digests, tags and repositories reject
 * with RegistryError, and then nothing changes.
 */
export class MemoryRegistry {
  readonly blobs = new Map<string, Uint8Array>();
  readonly #repositories = new Map<string, RepositoryState>();

  repository(name: string): Repository {
    return new MemoryRepository(this, name);
  }

  /** The state of a repository; `create` makes it on first write. */
  state(name: string, create = false): RepositoryState {
    let state = this.#repositories.get(name);
    if (state === undefined) {
      if (!create) throw new RegistryError('NAME_UNKNOWN', `repository ${name} is not known`);
      state = { blobs: new Set(), manifests: new Map(), tags: new Map() };
      this.#repositories.set(name, state);
    }
    return state;
  }

  remove(name: string): void {
    this.state(name);
    this.#repositories.delete(name);
  }

  has(name: string): boolean {
    return this.#repositories.has(name);
  }
}

class MemoryRepository implements Repository {
  readonly name: string;
  readonly manifests: ManifestService;
  readonly blobs: BlobStore;
  readonly tags: TagService;
  readonly #registry: MemoryRegistry;

  constructor(registry: MemoryRegistry, name: string) {
    this.name = name;
    this.#registry = registry;
    this.manifests = new MemoryManifests(registry, name);
    this.blobs = new MemoryBlobs(registry, name);
    this.tags = new MemoryTags(registry, name);
  }

  async delete(_ctx: RequestContext): Promise<void> {
    this.#registry.remove(this.name);
  }
}

class MemoryManifests implements ManifestService {
  readonly #registry: MemoryRegistry;
  readonly #name: string;

  constructor(registry: MemoryRegistry, name: string) {
    this.#registry = registry;
    this.#name = name;
  }

  async get(_ctx: RequestContext, reference: string): Promise<Manifest> {
    const state = this.#registry.state(this.#name);
    const manifest = state.manifests.get(state.tags.get(reference) ?? reference);
    if (manifest === undefined) throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${reference} is not known`);
    return manifest;
  }

  async put(_ctx: RequestContext, manifest: ManifestContent, options: ManifestOptions = {}): Promise<ManifestDescriptor> {
    const state = this.#registry.state(this.#name, true);
    const references = referencesOf(manifest.payload);
    for (const { digest = '' } of references) {
      if (!state.blobs.has(digest) && !state.manifests.has(digest)) {
        throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest refers to unknown ${digest}`);
      }
    }
    const descriptor: ManifestDescriptor = {
      mediaType: manifest.mediaType,
      size: manifest.payload.byteLength,
      digest: digestOf(manifest.payload),
      references,
    };
    state.manifests.set(descriptor.digest, { descriptor, payload: manifest.payload });
    if (options.tag !== undefined) state.tags.set(options.tag, descriptor.digest);
    return descriptor;
  }

  async delete(_ctx: RequestContext, digest: string): Promise<ManifestDeletion> {
    const state = this.#registry.state(this.#name);
    if (!state.manifests.delete(digest)) throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${digest} is not known`);
    const tags = [...state.tags].filter(([, target]) => target === digest).map(([tag]) => tag);
    for (const tag of tags) state.tags.delete(tag);
    return { tags };
  }
}

class MemoryBlobs implements BlobStore {
  readonly #registry: MemoryRegistry;
  readonly #name: string;

  constructor(registry: MemoryRegistry, name: string) {
    this.#registry = registry;
    this.#name = name;
  }

  async get(ctx: RequestContext, digest: string): Promise<BlobContent> {
    const descriptor = await this.stat(ctx, digest);
    return { descriptor, content: this.#registry.blobs.get(digest)! };
  }

  async stat(_ctx: RequestContext, digest: string): Promise<BlobDescriptor> {
    return this.#linked(this.#name, digest);
  }

  async put(_ctx: RequestContext, content: Uint8Array, options: { digest?: string } = {}): Promise<BlobDescriptor> {
    const digest = digestOf(content);
    if (options.digest !== undefined && options.digest !== digest) {
      throw new RegistryError('DIGEST_INVALID', `upload is ${digest}, not ${options.digest}`);
    }
    this.#registry.blobs.set(digest, content);
    this.#registry.state(this.#name, true).blobs.add(digest);
    return { mediaType: BLOB_MEDIA_TYPE, size: content.byteLength, digest };
  }

  async mount(_ctx: RequestContext, fromRepository: string, digest: string): Promise<BlobDescriptor> {
    const descriptor = this.#linked(fromRepository, digest);
    this.#registry.state(this.#name, true).blobs.add(digest);
    return descriptor;
  }

  async delete(_ctx: RequestContext, digest: string): Promise<void> {
    if (!this.#registry.state(this.#name).blobs.delete(digest)) {
      throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not known`);
    }
  }

  #linked(repository: string, digest: string): BlobDescriptor {
    const linked = this.#registry.state(repository).blobs.has(digest);
    const content = this.#registry.blobs.get(digest);
    if (!linked || content === undefined) {
      throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not known in ${repository}`);
    }
    return { mediaType: BLOB_MEDIA_TYPE, size: content.byteLength, digest };
  }
}

class MemoryTags implements TagService {
  readonly #registry: MemoryRegistry;
  readonly #name: string;

  constructor(registry: MemoryRegistry, name: string) {
    this.#registry = registry;
    this.#name = name;
  }

  async untag(_ctx: RequestContext, tag: string): Promise<void> {
    if (!this.#registry.state(this.#name).tags.delete(tag)) {
      throw new RegistryError('TAG_UNKNOWN', `tag ${tag} is not known`);
    }
  }
}
