import { NotificationNotCommittedError } from './errors.js';
import type { BlobDescriptor, Listener, ManifestDescriptor, ManifestOptions } from './listener.js';
import { tagOf } from './reference.js';
import type {
  BlobContent,
  BlobStore,
  Manifest,
  ManifestContent,
  ManifestDeletion,
  ManifestService,
  Repository,
  TagService,
} from './repository.js';
import type { RequestContext } from './request-context.js';

/**
 * Runs the listener calls of an operation that succeeded. If one fails, the operation
 * still happened: the caller gets NotificationNotCommittedError carrying its result.
 */
async function notify<T>(operation: string, repository: string, result: T, calls: () => Promise<void>): Promise<T> {
  try {
    await calls();
  } catch (error) {
    throw new NotificationNotCommittedError(operation, repository, result, error);
  }
  return result;
}

class ListenedManifests implements ManifestService {
  readonly #inner: ManifestService;
  readonly #repository: Repository;
  readonly #listener: Listener;

  constructor(repository: Repository, listener: Listener) {
    this.#inner = repository.manifests;
    this.#repository = repository;
    this.#listener = listener;
  }

  async get(ctx: RequestContext, reference: string): Promise<Manifest> {
    const manifest = await this.#inner.get(ctx, reference);
    const repo = this.#repository.name;
    const tag = tagOf(reference);
    const options: ManifestOptions = tag === undefined ? {} : { tag };
    return notify('manifests.get', repo, manifest, () => this.#listener.manifestPulled(ctx, repo, manifest.descriptor, options));
  }

  async put(ctx: RequestContext, manifest: ManifestContent, options: ManifestOptions = {}): Promise<ManifestDescriptor> {
    const descriptor = await this.#inner.put(ctx, manifest, options);
    const repo = this.#repository.name;
    return notify('manifests.put', repo, descriptor, () => this.#listener.manifestPushed(ctx, repo, descriptor, options));
  }

  async delete(ctx: RequestContext, digest: string): Promise<ManifestDeletion> {
    const deletion = await this.#inner.delete(ctx, digest);
    const repo = this.#repository.name;
    return notify('manifests.delete', repo, deletion, async () => {
      await this.#listener.manifestDeleted(ctx, repo, digest);
      for (const tag of deletion.tags) await this.#listener.tagDeleted(ctx, repo, tag);
    });
  }
}

class ListenedBlobs implements BlobStore {
  readonly #inner: BlobStore;
  readonly #repository: Repository;
  readonly #listener: Listener;

  constructor(repository: Repository, listener: Listener) {
    this.#inner = repository.blobs;
    this.#repository = repository;
    this.#listener = listener;
  }

  async get(ctx: RequestContext, digest: string): Promise<BlobContent> {
    const blob = await this.#inner.get(ctx, digest);
    const repo = this.#repository.name;
    return notify('blobs.get', repo, blob, () => this.#listener.blobPulled(ctx, repo, blob.descriptor));
  }

  stat(ctx: RequestContext, digest: string): Promise<BlobDescriptor> {
    return this.#inner.stat(ctx, digest);
  }

  async put(ctx: RequestContext, content: Uint8Array, options?: { digest?: string }): Promise<BlobDescriptor> {
    const descriptor = await this.#inner.put(ctx, content, options);
    const repo = this.#repository.name;
    return notify('blobs.put', repo, descriptor, () => this.#listener.blobPushed(ctx, repo, descriptor));
  }

  async mount(ctx: RequestContext, fromRepository: string, digest: string): Promise<BlobDescriptor> {
    const descriptor = await this.#inner.mount(ctx, fromRepository, digest);
    const repo = this.#repository.name;
    return notify('blobs.mount', repo, descriptor, () => this.#listener.blobMounted(ctx, repo, descriptor, fromRepository));
  }

  async delete(ctx: RequestContext, digest: string): Promise<void> {
    await this.#inner.delete(ctx, digest);
    const repo = this.#repository.name;
    return notify('blobs.delete', repo, undefined, () => this.#listener.blobDeleted(ctx, repo, digest));
  }
}

class ListenedTags implements TagService {
  readonly #inner: TagService;
  readonly #repository: Repository;
  readonly #listener: Listener;

  constructor(repository: Repository, listener: Listener) {
    this.#inner = repository.tags;
    this.#repository = repository;
    this.#listener = listener;
  }

  async untag(ctx: RequestContext, tag: string): Promise<void> {
    await this.#inner.untag(ctx, tag);
    const repo = this.#repository.name;
    return notify('tags.untag', repo, undefined, () => this.#listener.tagDeleted(ctx, repo, tag));
  }
}

class ListenedRepository implements Repository {
  readonly manifests: ManifestService;
  readonly blobs: BlobStore;
  readonly tags: TagService;
  readonly #inner: Repository;
  readonly #listener: Listener;

  constructor(inner: Repository, listener: Listener) {
    this.#inner = inner;
    this.#listener = listener;
    this.manifests = new ListenedManifests(inner, listener);
    this.blobs = new ListenedBlobs(inner, listener);
    this.tags = new ListenedTags(inner, listener);
  }

  get name(): string {
    return this.#inner.name;
  }

  async delete(ctx: RequestContext): Promise<void> {
    await this.#inner.delete(ctx);
    const repo = this.#inner.name;
    return notify('repository.delete', repo, undefined, () => this.#listener.repoDeleted(ctx, repo));
  }
}

/**
 * Decorates a repository so that each operation that succeeds is reported to the
 * listener once it has happened; distribution's `notifications.Listen`. An operation
 * that rejects (or throws) reports nothing and its error reaches the caller unchanged.
 *
 * The decorated call resolves once the listener has resolved: with a Bridge, once the
 * sink committed the events. When the listener rejects, the operation is not undone
 * (distribution cannot undo it either); the call rejects with
 * NotificationNotCommittedError, whose `cause` is the listener's error and whose `result`
 * is what the operation returned. Distribution logs such errors and answers the client
 * as if all was well; Herald lets the registry decide.
 *
 * What is reported: `manifests.get` a pull (with the tag when read by tag; a HEAD when
 * `ctx.request.method` is HEAD); `manifests.put` a push; `manifests.delete` a delete
 * by digest, then one tag delete per removed tag; `blobs.get` a pull; `blobs.put` a
 * push; `blobs.mount` a mount; `blobs.delete` a delete; `tags.untag` a tag delete;
 * repository `delete` a repository delete. `blobs.stat` is not reported.
 */
export function listen(repository: Repository, listener: Listener): Repository {
  return new ListenedRepository(repository, listener);
}
