import type { EndpointConfig } from '@herald/config';
import { EVENTS_MEDIA_TYPE_V1, type Event } from '@herald/events';

/** An endpoint entry as the config loader would produce it for `url`, with `overrides`. */
export function endpointConfig(url: string, overrides: Partial<EndpointConfig> = {}): EndpointConfig {
  return {
    name: 'hooks',
    disabled: false,
    url,
    headers: {},
    timeoutMs: 5000,
    threshold: 10,
    backoffMs: 1000,
    maxBackoffMs: 300_000,
    maxAgeMs: 0,
    ignore: { mediaTypes: [], actions: [] },
    secrets: [],
    ordered: false,
    mediaType: EVENTS_MEDIA_TYPE_V1,
    concurrency: undefined,
    tls: { insecureSkipVerify: false },
    egressAllow: [],
    ...overrides,
  };
}

/** A push event with id `id`. */
export function event(id: string): Event {
  return {
    id,
    timestamp: '2026-11-28T02:15:00.146778322Z',
    action: 'push',
    target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 401, digest: 'sha256:812b', repository: 'demo/hello', tag: 'v1' },
    request: { id: `r-${id}`, addr: '127.0.0.1:5000', host: 'registry', method: 'PUT', useragent: 'test' },
    actor: {},
    source: { addr: 'node-1:5000', instanceID: 'instance-1' },
  };
}
