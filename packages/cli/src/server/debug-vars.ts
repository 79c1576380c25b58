import type { EndpointConfig } from '@herald/config';
import { REDACTED, redactUrl } from '@herald/config';
import type { EndpointStatus } from '@herald/worker';

const NS_PER_MS = 1_000_000;

/**
 * The expvar document distribution serves at /debug/vars, so the dashboards and scripts
 * operators already have keep working: `registry.notifications.endpoints[]` with the
 * endpoint's name, url, settings (Go field names, durations in nanoseconds) and
 * `Metrics`. Unlike distribution, header values are redacted and URLs lose credentials;
 * Herald adds `MaxBatch`, `MaxBatchBytes` and `Metrics.Requests` (POSTs, so that
 * `Events / Requests` is the batching factor).
 */
export function debugVars(endpoints: readonly EndpointConfig[], status: readonly EndpointStatus[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const byName = new Map(status.map((entry) => [entry.name, entry]));
  return {
    cmdline: process.argv.slice(1),
    memstats: process.memoryUsage(),
    registry: {
      notifications: {
        endpoints: endpoints.map((endpoint) => {
          const entry = byName.get(endpoint.name);
          return {
            name: endpoint.name,
            url: redactUrl(endpoint.url),
            Headers: Object.fromEntries(Object.keys(endpoint.headers).map((name) => [name, [REDACTED]])),
            Timeout: endpoint.timeoutMs * NS_PER_MS,
            Threshold: endpoint.threshold,
            Backoff: endpoint.backoffMs * NS_PER_MS,
            IgnoredMediaTypes: endpoint.ignore.mediaTypes,
            Ignore: { MediaTypes: endpoint.ignore.mediaTypes, Actions: endpoint.ignore.actions },
            Disabled: endpoint.disabled,
            MaxBatch: endpoint.maxBatch,
            MaxBatchBytes: endpoint.maxBatchBytes,
            Metrics: {
              Pending: entry?.pending ?? 0,
              Events: entry?.counters.Events ?? 0,
              Requests: entry?.counters.Requests ?? 0,
              Successes: entry?.counters.Successes ?? 0,
              Failures: entry?.counters.Failures ?? 0,
              Errors: entry?.counters.Errors ?? 0,
              Statuses: entry?.counters.Statuses ?? {},
              Expired: entry?.counters.Expired ?? 0,
              Failed: entry?.failed ?? 0,
            },
          };
        }),
      },
    },
    ...extra,
  };
}
