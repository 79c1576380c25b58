/**
 * What docs/configuration.md says about each key of an endpoint entry. Endpoints are read
 * by endpoint.ts, not convict, so their reference lives here, beside the code that reads
 * them; config-reference.test.ts checks that it names every key endpoint.ts accepts and
 * that every example passes it.
 */

/** One key of an endpoint entry, as the reference shows it. */
export interface EndpointKeyDoc {
  /** Key path inside an entry, e.g. `timeout` or `tls.ca`. */
  readonly key: string;
  /** Default, as an operator would write it, or `required` / `none`. */
  readonly default: string;
  /** A value that endpoint.ts accepts for this key, as it would appear in YAML (flow style). */
  readonly example: unknown;
  /** What it does, in Markdown. */
  readonly doc: string;
}

export const ENDPOINT_REFERENCE: readonly EndpointKeyDoc[] = [
  { key: 'name', default: 'required', example: 'audit', doc: 'Unique name; logs, metrics and queues use it instead of the URL.' },
  {
    key: 'url',
    default: 'required',
    example: 'https://audit.example/hooks/registry',
    doc: '`http://` or `https://` URL the envelopes are POSTed to. May carry credentials; Herald never prints them.',
  },
  { key: 'disabled', default: '`false`', example: true, doc: 'Keep the endpoint in the file but deliver nothing to it.' },
  {
    key: 'headers',
    default: 'none',
    example: { Authorization: ['Bearer s3cr3t'] },
    doc: 'Extra request headers, a map of name to a list of values; a single string is taken as a one-item list. Values are secret.',
  },
  { key: 'timeout', default: '`5s`', example: '2s', doc: 'Time allowed for one delivery attempt; at most half of `worker.lockDurationMs`.' },
  {
    key: 'threshold',
    default: '`10`',
    example: 5,
    doc: "Distribution's failure threshold: retries spaced by `backoff` before the delay starts doubling ([retry schedule](../packages/worker/README.md#retry-schedule)).",
  },
  { key: 'backoff', default: '`1s`', example: '500ms', doc: 'Delay before the first retry.' },
  {
    key: 'maxbackoff',
    default: '`5m`, or `backoff` when longer',
    example: '1m',
    doc: 'Longest wait between retries; also the most a `Retry-After` can ask for. When set, not shorter than `backoff`.',
  },
  {
    key: 'maxage',
    default: '`72h`',
    example: '24h',
    doc: 'Stop retrying this long after the event was accepted; the delivery then waits in the failed set for `herald replay`. `0` retries forever.',
  },
  {
    key: 'ignore.mediatypes',
    default: 'none',
    example: ['application/octet-stream'],
    doc: "Drop events whose `target.mediaType` is listed. Distribution 2.8 reports every blob event as `application/octet-stream`.",
  },
  {
    key: 'ignore.actions',
    default: 'none',
    example: ['pull'],
    doc: 'Drop events whose `action` is listed (`pull`, `push`, `mount`, `delete`, or any other a registry sends).',
  },
  {
    key: 'ignoredmediatypes',
    default: 'none',
    example: ['application/octet-stream'],
    doc: "Distribution's older key; merged into `ignore.mediatypes`.",
  },
  {
    key: 'secret',
    default: 'none',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    doc: 'Standard Webhooks signing secret `whsec_…`, or a list of them while rotating (one signature per secret). Secret.',
  },
  {
    key: 'secretfile',
    default: 'none',
    example: '/run/secrets/audit-signing-secret',
    doc: 'File holding a signing secret (a mounted Kubernetes or Docker secret), or a list of files; added to `secret`.',
  },
  {
    key: 'headerfiles',
    default: 'none',
    example: { 'X-Api-Key': '/run/secrets/audit-api-key' },
    doc: 'Header values read from files: a map of header name to file path, each file one value (`Authorization: /run/secrets/token` for a file holding `Bearer s3cr3t`). A header may not also be in `headers`.',
  },
  {
    key: 'ordered',
    default: '`false`',
    example: true,
    doc: 'Deliver one envelope at a time across all workers, in acceptance order; a failing one holds back the rest.',
  },
  { key: 'mediatype', default: '`v1`', example: 'v2', doc: '`Content-Type` of deliveries: `v1`, `v2`, or the full events media type.' },
  {
    key: 'concurrency',
    default: '`worker.concurrency`',
    example: 4,
    doc: 'Deliveries in flight for this endpoint per worker process (`ordered` endpoints use 1).',
  },
  {
    key: 'maxbatch',
    default: '`1`',
    example: 32,
    doc: "Most deliveries in one POST, 1 to 1000; `1` is distribution's one request per envelope. Above 1, a backlog goes out several per request ([Batching](#batching)).",
  },
  {
    key: 'maxbatchbytes',
    default: '`1MiB`',
    example: '512KiB',
    doc: 'Largest body of one batched POST: bytes, or a size with a unit (`512KiB`, `1MiB`, `2MB`); at least `1KiB`. A single larger delivery still goes, alone.',
  },
  { key: 'tls.ca', default: 'system CAs', example: '/etc/herald/audit-ca.pem', doc: "PEM file of the CA that signed the endpoint's certificate." },
  { key: 'tls.cert', default: 'none', example: '/etc/herald/client.pem', doc: 'PEM client certificate, for mutual TLS; needs `tls.key`.' },
  { key: 'tls.key', default: 'none', example: '/etc/herald/client-key.pem', doc: 'PEM key of `tls.cert`. Keep the file private.' },
  {
    key: 'tls.insecureSkipVerify',
    default: '`false`',
    example: true,
    doc: 'Do not check the server certificate (logged as a warning at start-up).',
  },
  {
    key: 'egress.allow',
    default: 'none',
    example: ['10.0.0.0/8', 'hooks.internal.example'],
    doc: 'Exceptions to the [egress policy](#egress) for this endpoint only: CIDRs, addresses, host names or `*.domain`. Listing a link-local or metadata address is the only way to reach one.',
  },
];
