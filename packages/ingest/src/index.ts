export { registerIngest } from './ingest-routes.js';
export type { IngestListener, IngestOptions } from './ingest-routes.js';
export { BodyEncodingError, parseJsonBody } from './json-body.js';
export { IngestMetrics } from './metrics.js';
