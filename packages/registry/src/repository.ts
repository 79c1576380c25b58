import type { BlobDescriptor, ManifestDescriptor, ManifestOptions } from './listener.js';
import type { RequestContext } from './request-context.js';

/**
 * The smallest repository a Node.js registry needs for `listen()` to report what
 * happens in it; distribution's `Repository`, `ManifestService`, `BlobStore` and
 * `TagService`. Every method takes the request context first; a registry serves both
 * GET and HEAD with `get`, and `ctx.request.method` tells them apart.
 * Methods reject when the operation did not happen (unknown digest, bad upload).
 */
export interface Repository {
  /** Repository name, such as `demo/hello`. */
  readonly name: string;
  readonly manifests: ManifestService;
  readonly blobs: BlobStore;
  readonly tags: TagService;
  /** Deletes the repository with everything in it. Reported as a repository delete. */
  delete(ctx: RequestContext): Promise<void>;
}

/** A manifest as a client sends it (PUT). */
export interface ManifestContent {
  /** The Content-Type it was sent with, such as `application/vnd.oci.image.manifest.v1+json`. */
  mediaType: string;
  payload: Uint8Array;
}

/** A stored manifest. */
export interface Manifest {
  /** Canonical descriptor: digest and size of `payload`, its media type, what it refers to. */
  descriptor: ManifestDescriptor;
  payload: Uint8Array;
}

/** What a manifest delete removed besides the manifest. */
export interface ManifestDeletion {
  /** Tags that pointed at the manifest and were removed with it; each is reported as a tag delete, in this order. */
  tags: readonly string[];
}

export interface ManifestService {
  /** Reads a manifest by tag or digest (GET or HEAD). Reported as a pull, with the tag when read by tag. */
  get(ctx: RequestContext, reference: string): Promise<Manifest>;
  /** Stores a manifest, tagging it when `options.tag` is set; resolves to its canonical descriptor. Reported as a push. */
  put(ctx: RequestContext, manifest: ManifestContent, options?: ManifestOptions): Promise<ManifestDescriptor>;
  /** Deletes a manifest by digest and the tags that pointed at it. Reported as a delete, then one delete per tag. */
  delete(ctx: RequestContext, digest: string): Promise<ManifestDeletion>;
}

/** A stored blob and its content. */
export interface BlobContent {
  descriptor: BlobDescriptor;
  /** The bytes, whole or as a stream; a HEAD request does not read them. */
  content: Uint8Array | AsyncIterable<Uint8Array>;
}

export interface BlobStore {
  /** Opens a blob to serve it (GET or HEAD). Reported as a pull once it resolves, before the content is read. */
  get(ctx: RequestContext, digest: string): Promise<BlobContent>;
  /** Looks a blob up for the registry's own use (upload checks, manifest validation). Not reported. */
  stat(ctx: RequestContext, digest: string): Promise<BlobDescriptor>;
  /** Stores an upload; rejects when `options.digest` is given and does not match. Reported as a push. */
  put(ctx: RequestContext, content: Uint8Array, options?: { digest?: string }): Promise<BlobDescriptor>;
  /** Makes a blob of `fromRepository` available here without an upload. Reported as a mount. */
  mount(ctx: RequestContext, fromRepository: string, digest: string): Promise<BlobDescriptor>;
  /** Deletes a blob from this repository. Reported as a delete. */
  delete(ctx: RequestContext, digest: string): Promise<void>;
}

export interface TagService {
  /** Removes a tag, leaving the manifest it pointed at. Reported as a tag delete. */
  untag(ctx: RequestContext, tag: string): Promise<void>;
}
