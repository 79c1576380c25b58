/**
 * The registry notification event, field for field as docker/distribution writes it
 * (`notifications/event.go`). Every record allows extra fields: GitLab's registry adds
 * `meta`, `actor.user_type`, `target.rename`, and Herald must pass them on untouched.
 */

/** Actions distribution emits. GitLab adds `rename`; unknown actions pass through. */
export const ACTIONS = ['push', 'pull', 'mount', 'delete'] as const;

/** A known action, or any other string a registry sends. */
export type Action = (typeof ACTIONS)[number] | (string & {});

/** Fields a registry may add that Herald does not know; they pass through untouched. */
export interface Extensible {
  readonly [field: string]: unknown;
}

/** OCI platform of a manifest in an index. */
export interface Platform extends Extensible {
  architecture?: string;
  os?: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

/** An OCI content descriptor, as in `target` and in `target.references`. */
export interface Descriptor extends Extensible {
  mediaType?: string;
  size?: number;
  digest?: string;
  urls?: string[];
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
}

/** What the event is about: a manifest, a blob, a tag or a repository. */
export interface Target extends Descriptor {
  /** Same as `size`; distribution writes both. */
  length?: number;
  repository?: string;
  /** Source repository of a cross-repository blob mount. */
  fromRepository?: string;
  url?: string;
  tag?: string;
  /** Descriptors the manifest refers to (`includereferences: true`). */
  references?: Descriptor[];
}

/** The HTTP request that caused the event. */
export interface RequestRecord extends Extensible {
  id?: string;
  addr?: string;
  host?: string;
  method?: string;
  useragent?: string;
}

/** Who made the request; `{}` on a registry without auth. */
export interface ActorRecord extends Extensible {
  name?: string;
}

/** The registry node that emitted the event. */
export interface SourceRecord extends Extensible {
  addr?: string;
  instanceID?: string;
}

/** One registry notification event. */
export interface Event extends Extensible {
  /** Unique per event; receivers deduplicate on it. */
  id: string;
  /** RFC 3339 time, kept as the registry wrote it (nanoseconds included). */
  timestamp: string;
  action: Action;
  target: Target;
  request?: RequestRecord;
  actor?: ActorRecord;
  source?: SourceRecord;
}
