import type { ActorRecord, Descriptor, Event, RequestRecord, Sink, Target } from '@herald/events';
import type { BlobDescriptor, Listener, ManifestDescriptor, ManifestOptions } from './listener.js';
import { isHeadRequest, type RequestContext } from './request-context.js';
import type { UrlBuilder } from './url-builder.js';
import { uuidv7 } from './uuid-v7.js';

/** Options of a Bridge. */
export interface BridgeOptions {
  /** Builds each `target.url`; `urlBuilderFor(baseUrl)` builds distribution's. Required. @defaultValue none */
  urlBuilder: UrlBuilder;
  /** This registry node, copied into every event: `addr` as `host:port`, `instanceID` unique per process. Required. @defaultValue none */
  source: { addr: string; instanceID: string };
  /** Put a manifest's `references` (config, layers, index entries) in its push and pull events (`includereferences`). @defaultValue false */
  includeReferences?: boolean;
  /** Report no pull at all for HEAD requests, instead of a pull with `request.method: 'HEAD'`. @defaultValue false */
  ignoreHeadPulls?: boolean;
  /** Clock of event timestamps and ids. @defaultValue () => new Date() */
  now?: () => Date;
}

type BridgeSettings = Required<BridgeOptions>;

function withDefaults(options: BridgeOptions): BridgeSettings {
  return {
    urlBuilder: options.urlBuilder,
    source: options.source,
    includeReferences: options.includeReferences ?? false,
    ignoreHeadPulls: options.ignoreHeadPulls ?? false,
    now: options.now ?? (() => new Date()),
  };
}

/** The record without its undefined fields, so that every key present has a value, as in JSON. */
function compact<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

/** The OCI fields of a descriptor, in distribution's order; anything else is left out. */
function descriptorFields(descriptor: Descriptor): Descriptor {
  return compact({
    mediaType: descriptor.mediaType,
    size: descriptor.size,
    digest: descriptor.digest,
    urls: descriptor.urls,
    annotations: descriptor.annotations,
    artifactType: descriptor.artifactType,
    platform: descriptor.platform,
  });
}

function requestOf(ctx: RequestContext): RequestRecord {
  const request = ctx.request ?? {};
  return compact({ id: request.id, addr: request.addr, host: request.host, method: request.method, useragent: request.useragent });
}

function actorOf(ctx: RequestContext): ActorRecord {
  return compact({ name: ctx.actor?.name });
}

/**
 * Bridge turns each listener call into one distribution-shaped event and writes it to
 * its sink; distribution's `notifications.bridge`. It leaves durability, filtering and
 * delivery to the sink. Each method resolves when the sink's `write` resolves (the event
 * is committed) and rejects with the sink's error when it rejects.
 *
 * Events carry a UUIDv7 `id`, an ISO 8601 `timestamp` in ms, the context's `request` and
 * `actor` (`{}` when absent), and `source` from the options. Targets hold what
 * distribution puts there: manifests `mediaType, size, digest, length, repository, url,
 * tag, references`; blobs their descriptor plus `length, repository, url` (and
 * `fromRepository` for mounts); deletes by digest `digest, repository`; tag deletes
 * `repository, tag`; repository deletes `repository`. URLs always address by digest.
 */
export class Bridge implements Listener {
  readonly #sink: Sink;
  readonly #settings: BridgeSettings;

  constructor(sink: Sink, options: BridgeOptions) {
    this.#sink = sink;
    this.#settings = withDefaults(options);
  }

  async manifestPushed(ctx: RequestContext, repo: string, manifest: ManifestDescriptor, options: ManifestOptions = {}): Promise<void> {
    await this.#sink.write(this.#event('push', ctx, this.#manifestTarget(repo, manifest, options)));
  }

  async manifestPulled(ctx: RequestContext, repo: string, manifest: ManifestDescriptor, options: ManifestOptions = {}): Promise<void> {
    if (this.#ignores(ctx)) return;
    await this.#sink.write(this.#event('pull', ctx, this.#manifestTarget(repo, manifest, options)));
  }

  async manifestDeleted(ctx: RequestContext, repo: string, digest: string): Promise<void> {
    await this.#sink.write(this.#event('delete', ctx, { digest, repository: repo }));
  }

  async blobPushed(ctx: RequestContext, repo: string, blob: BlobDescriptor): Promise<void> {
    await this.#sink.write(this.#event('push', ctx, this.#blobTarget(repo, blob)));
  }

  async blobPulled(ctx: RequestContext, repo: string, blob: BlobDescriptor): Promise<void> {
    if (this.#ignores(ctx)) return;
    await this.#sink.write(this.#event('pull', ctx, this.#blobTarget(repo, blob)));
  }

  async blobMounted(ctx: RequestContext, repo: string, blob: BlobDescriptor, fromRepo: string): Promise<void> {
    await this.#sink.write(this.#event('mount', ctx, this.#blobTarget(repo, blob, fromRepo)));
  }

  async blobDeleted(ctx: RequestContext, repo: string, digest: string): Promise<void> {
    await this.#sink.write(this.#event('delete', ctx, { digest, repository: repo }));
  }

  async tagDeleted(ctx: RequestContext, repo: string, tag: string): Promise<void> {
    await this.#sink.write(this.#event('delete', ctx, { repository: repo, tag }));
  }

  async repoDeleted(ctx: RequestContext, repo: string): Promise<void> {
    await this.#sink.write(this.#event('delete', ctx, { repository: repo }));
  }

  #ignores(ctx: RequestContext): boolean {
    return this.#settings.ignoreHeadPulls && isHeadRequest(ctx);
  }

  #event(action: string, ctx: RequestContext, target: Target): Event {
    const time = this.#settings.now();
    const { addr, instanceID } = this.#settings.source;
    return {
      id: uuidv7(time.getTime()),
      timestamp: time.toISOString(),
      action,
      target,
      request: requestOf(ctx),
      actor: actorOf(ctx),
      source: { addr, instanceID },
    };
  }

  #manifestTarget(repo: string, manifest: ManifestDescriptor, options: ManifestOptions): Target {
    const references = manifest.references ?? [];
    return compact({
      mediaType: manifest.mediaType,
      size: manifest.size,
      digest: manifest.digest,
      length: manifest.size,
      repository: repo,
      url: this.#settings.urlBuilder.manifestUrl(repo, manifest.digest),
      tag: options.tag,
      references: this.#settings.includeReferences && references.length > 0 ? references.map(descriptorFields) : undefined,
    });
  }

  #blobTarget(repo: string, blob: BlobDescriptor, fromRepository?: string): Target {
    return compact({
      ...descriptorFields(blob),
      length: blob.size,
      repository: repo,
      fromRepository,
      url: this.#settings.urlBuilder.blobUrl(repo, blob.digest),
    });
  }
}
