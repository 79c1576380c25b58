export { Bridge } from './bridge.js';
export type { BridgeOptions } from './bridge.js';
export { NotificationNotCommittedError } from './errors.js';
export { listen } from './listen.js';
export type { BlobDescriptor, Listener, ManifestDescriptor, ManifestOptions } from './listener.js';
export { isDigest, tagOf } from './reference.js';
export type {
  BlobContent,
  BlobStore,
  Manifest,
  ManifestContent,
  ManifestDeletion,
  ManifestService,
  Repository,
  TagService,
} from './repository.js';
export { isHeadRequest, requestRecordOf } from './request-context.js';
export type { RequestContext } from './request-context.js';
export { urlBuilderFor } from './url-builder.js';
export type { UrlBuilder } from './url-builder.js';
export { uuidv7 } from './uuid-v7.js';
