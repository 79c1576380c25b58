import type { Descriptor } from '@herald/events';
import type { RequestContext } from './request-context.js';

/** A blob's descriptor; its digest is always known once it is stored. */
export interface BlobDescriptor extends Descriptor {
  digest: string;
}

/** A manifest's descriptor, plus the descriptors it refers to (config and layers, or an index's manifests). */
export interface ManifestDescriptor extends Descriptor {
  digest: string;
  /** What the manifest refers to, in manifest order. @defaultValue none */
  references?: Descriptor[];
}

/** How a manifest was addressed. */
export interface ManifestOptions {
  /** The tag it was pushed or pulled by; absent when addressed by digest. @defaultValue none */
  tag?: string;
}

/**
 * A Listener is told about each repository operation that succeeded, after it
 * succeeded; distribution's `notifications.Listener`. `listen()` calls it, `Bridge`
 * implements it. Every method takes the request context first and resolves once the
 * listener has done with the operation (for `Bridge`: once the sink committed its events).
 */
export interface Listener {
  /** A manifest was stored in `repo`, by `options.tag` if it was pushed by tag. */
  manifestPushed(ctx: RequestContext, repo: string, manifest: ManifestDescriptor, options?: ManifestOptions): Promise<void>;
  /** A manifest was read (GET) or looked at (HEAD, per `ctx.request.method`). */
  manifestPulled(ctx: RequestContext, repo: string, manifest: ManifestDescriptor, options?: ManifestOptions): Promise<void>;
  /** The manifest with this digest was deleted; its tags are reported by `tagDeleted`. */
  manifestDeleted(ctx: RequestContext, repo: string, digest: string): Promise<void>;
  /** A blob was uploaded to `repo`. */
  blobPushed(ctx: RequestContext, repo: string, blob: BlobDescriptor): Promise<void>;
  /** A blob was read (GET) or looked at (HEAD, per `ctx.request.method`). */
  blobPulled(ctx: RequestContext, repo: string, blob: BlobDescriptor): Promise<void>;
  /** A blob of `fromRepo` was made available in `repo` without an upload. */
  blobMounted(ctx: RequestContext, repo: string, blob: BlobDescriptor, fromRepo: string): Promise<void>;
  /** The blob with this digest was deleted from `repo`. */
  blobDeleted(ctx: RequestContext, repo: string, digest: string): Promise<void>;
  /** The tag no longer exists in `repo`. */
  tagDeleted(ctx: RequestContext, repo: string, tag: string): Promise<void>;
  /** The whole repository was deleted. */
  repoDeleted(ctx: RequestContext, repo: string): Promise<void>;
}
