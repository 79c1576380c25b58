import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { recordFigures } from './helpers/figures.js';
import { buildOciImage, OCI_LAYER_GZIP, type OciImage } from './helpers/oci-image.js';
import { findOnPath, findRegistryBinary, RegistryServer, type RegistryEndpointMetrics } from './helpers/registry-server.js';
import { Skopeo } from './helpers/skopeo.js';

// Scenario 7, a real registry: docker/distribution (Debian's docker-registry) sends its
// notifications to `herald start` while skopeo pushes, pulls, mounts and deletes an OCI
// image the test builds itself. Every event the registry sent must reach each Herald
// endpoint exactly as that endpoint's filter says, unchanged.
//
// What the registry sent is known independently of Herald: the registry has a second
// notifications endpoint, `tap`, a plain receiver. The registry queues every event for
// every endpoint, and its /debug/vars counts what each endpoint accepted.

/** What the registry sends and Herald delivers, as far as this test reads it. */
interface WireEvent {
  id: string;
  action: string;
  target: { mediaType?: string; repository?: string; tag?: string; digest?: string; fromRepository?: string };
  request?: { method?: string };
}

const EVENTS_V1 = 'application/vnd.docker.distribution.events.v1+json';
/** distribution 2.8 reports every blob as application/octet-stream; OCI layers by their own type elsewhere. */
const BLOB_TYPES = ['application/octet-stream', OCI_LAYER_GZIP];

/** Herald's endpoints: the YAML of each `ignore`, and the same rule written out for the expectation. */
const ENDPOINTS = [
  { name: 'all', ignore: undefined, wants: (_event: WireEvent) => true },
  { name: 'no-pulls', ignore: '{ actions: [pull] }', wants: (event: WireEvent) => event.action !== 'pull' },
  {
    name: 'no-blobs',
    ignore: `{ mediatypes: [${BLOB_TYPES.join(', ')}] }`,
    wants: (event: WireEvent) => event.target.mediaType === undefined || !BLOB_TYPES.includes(event.target.mediaType),
  },
] as const;

const registryBinary = findRegistryBinary();
const skopeoBinary = findOnPath('skopeo');
const missing = [
  ...(registryBinary === undefined ? ['the docker/distribution registry (`docker-registry` or `registry`)'] : []),
  ...(skopeoBinary === undefined ? ['skopeo'] : []),
];
const skipReason = missing.length === 0 ? undefined : `${missing.join(' and ')} not on PATH; apt-get install docker-registry skopeo (bash .ci/run does)`;
if (skipReason !== undefined) console.warn(`chaos real-registry skipped: ${skipReason}`);

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function eventsOf(receiver: WebhookReceiver): WireEvent[] {
  return receiver.deliveries.filter((delivery) => delivery.eventIds.length > 0).flatMap((delivery) => (JSON.parse(delivery.body) as { events: WireEvent[] }).events);
}

/** Prometheus text to a map of `name{labels}` to value. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match !== null) map.set(match[1]!, Number(match[2]));
  }
  return map;
}

describe.skipIf(skipReason !== undefined)(`chaos 7: a real registry${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  const startedAt = Date.now();
  const prefix = testPrefix();
  const token = randomBytes(24).toString('hex');
  let dir: string;
  let image: OciImage;
  let skopeo: Skopeo;
  let tap: WebhookReceiver;
  const receivers = new Map<string, WebhookReceiver>();
  let herald: HeraldProcess | undefined;
  let registry: RegistryServer | undefined;
  let base: string;

  /** Registry event id -> the step that produced it, and the event as the registry sent it. */
  const sent = new Map<string, { step: string; event: WireEvent; json: string; tappedAt: number }>();
  let registryMetrics = new Map<string, RegistryEndpointMetrics>();
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-real-registry-'));
    skopeo = new Skopeo(skopeoBinary!, join(dir, 'skopeo-home'));
    image = await buildOciImage(join(dir, 'image'), 'v1', { 'hello.txt': 'hello from a real registry, through herald\n' });

    tap = await WebhookReceiver.start();
    for (const endpoint of ENDPOINTS) receivers.set(endpoint.name, await WebhookReceiver.start());
    const config = join(dir, 'herald.yml');
    writeFileSync(
      config,
      [
        `redis: { url: "${REDIS_URL}", prefix: "${prefix}" }`,
        'http: { host: 127.0.0.1, port: 0 }',
        `ingest: { token: "${token}" }`,
        'log: { level: warn }',
        'endpoints:',
        ...ENDPOINTS.map(
          (endpoint) => `  - { name: ${endpoint.name}, url: "${receivers.get(endpoint.name)!.url}", backoff: 200ms${endpoint.ignore === undefined ? '' : `, ignore: ${endpoint.ignore}`} }`,
        ),
        '',
      ].join('\n'),
    );
    herald = new HeraldProcess(['start', '--config', config]);
    await herald.waitFor('health: ', 30_000);
    base = /ingest: POST events to (http:\/\/[^/\s]+)\/events/.exec(herald.output.join(''))![1]!;

    registry = await RegistryServer.start(registryBinary!.path, {
      dir: join(dir, 'registry'),
      includeReferences: true,
      endpoints: [
        { name: 'herald', url: `${base}/events`, headers: { Authorization: [`Bearer ${token}`] }, timeout: '2s', threshold: 3, backoff: '250ms' },
        { name: 'tap', url: tap.url, timeout: '2s', threshold: 3, backoff: '250ms' },
      ],
    });
  }, 90_000);

  afterAll(async () => {
    figures['runSeconds'] = Math.round((Date.now() - startedAt) / 100) / 10;
    // Only a run that got as far as auditing the endpoints has figures worth keeping.
    if (figures['endpoints'] !== undefined) recordFigures('real-registry', figures);
    try {
      await registry?.stop();
      const exit = await herald?.stop('SIGTERM');
      if (herald !== undefined) {
        expect(herald.output.join(''), 'herald printed the ingest token').not.toContain(token);
        expect(exit, `herald exit:\n${herald.output.join('')}`).toStrictEqual({ code: 0, signal: null });
      }
    } finally {
      await Promise.all([tap?.close(), ...[...receivers.values()].map((receiver) => receiver.close())]);
      await deleteKeys(REDIS_URL, prefix);
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('collects push, pull, mount and delete events from the registry while skopeo works, and ingest accepts every one', async () => {
    const host = registry!.host;
    const steps: [string, () => Promise<void>][] = [
      ['push', async () => void (await skopeo.run('copy', '--dest-tls-verify=false', `oci:${image.layout}:v1`, `docker://${host}/demo/hello:v1`))],
      [
        'pull',
        async () => {
          await skopeo.run('copy', '--src-tls-verify=false', `docker://${host}/demo/hello:v1`, `oci:${join(dir, 'pulled')}:v1`);
          const index = JSON.parse(readFileSync(join(dir, 'pulled', 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
          expect(index.manifests.map((manifest) => manifest.digest)).toStrictEqual([image.manifest.digest]);
        },
      ],
      [
        'inspect',
        async () => {
          const inspected = JSON.parse(await skopeo.run('inspect', '--tls-verify=false', `docker://${host}/demo/hello:v1`)) as { Digest: string };
          expect(inspected.Digest).toBe(image.manifest.digest);
        },
      ],
      // skopeo remembers (blob info cache) that demo/hello holds the layer, so it mounts it.
      ['mount', async () => void (await skopeo.run('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${host}/demo/hello:v1`, `docker://${host}/demo/other:v1`))],
      ['delete', async () => void (await skopeo.run('delete', '--tls-verify=false', `docker://${host}/demo/hello:v1`))],
      [
        'delete-blob',
        async () => {
          const response = await fetch(`http://${host}/v2/demo/other/blobs/${image.config.digest}`, { method: 'DELETE' });
          expect(response.status).toBe(202);
        },
      ],
    ];
    let seen = 0;
    for (const [step, run] of steps) {
      await run();
      // Notifications leave the registry asynchronously: wait for them, so each is put down to its step.
      registryMetrics = await registry!.settled();
      for (const delivery of tap.deliveries.slice(seen)) {
        for (const event of (JSON.parse(delivery.body) as { events: WireEvent[] }).events) {
          if (!sent.has(event.id)) sent.set(event.id, { step, event, json: JSON.stringify(event), tappedAt: delivery.receivedAt });
        }
      }
      seen = tap.deliveries.length;
    }
    const all = [...sent.values()];
    figures['registry'] = registryBinary!.version;
    figures['skopeo'] = execFileSync(skopeoBinary!, ['--version'], { encoding: 'utf8' }).trim();
    figures['eventsSent'] = all.length;
    figures['registryRequestsToTap'] = tap.deliveries.length;
    figures['actions'] = countBy(all, (entry) => entry.event.action);
    figures['steps'] = Object.fromEntries(steps.map(([step]) => [step, countBy(all.filter((entry) => entry.step === step), (entry) => entry.event.action)]));
    figures['targetMediaTypes'] = countBy(all, (entry) => entry.event.target.mediaType ?? '(none)');
    figures['headPulls'] = all.filter((entry) => entry.event.action === 'pull' && entry.event.request?.method === 'HEAD').length;

    expect([...new Set(all.map((entry) => entry.event.action))]).toEqual(expect.arrayContaining(['push', 'pull', 'mount', 'delete']));
    const mounts = all.filter((entry) => entry.event.action === 'mount');
    expect(mounts.map((entry) => [entry.step, entry.event.target.repository, entry.event.target.fromRepository])).toContainEqual(['mount', 'demo/other', 'demo/hello']);
    expect(new Set(tap.deliveries.map((delivery) => delivery.headers['content-type']))).toStrictEqual(new Set([EVENTS_V1]));

    // The registry queued every event for both of its endpoints, and Herald accepted each one.
    // A request the registry gave up on (its 2s timeout, on a loaded machine) counts in
    // Errors and is sent again; Herald may have stored it already, and counts it again.
    const toHerald = registryMetrics.get('herald')!;
    const toTap = registryMetrics.get('tap')!;
    figures['registryToHerald'] = toHerald;
    expect(toTap.Events).toBe(all.length);
    expect(toHerald).toMatchObject({ Pending: 0, Events: all.length, Successes: all.length, Failures: 0 });
    expect(Object.keys(toHerald.Statuses), 'statuses Herald ingest answered the registry').toStrictEqual(['202 Accepted']);

    const metrics = samples(await (await fetch(`${base}/metrics`)).text());
    const accepted = metrics.get('herald_ingest_events_total') ?? 0;
    figures['ingestAccepted'] = accepted;
    expect(accepted).toBeGreaterThanOrEqual(all.length);
    expect(accepted).toBeLessThanOrEqual(all.length + toHerald.Errors);
    expect(metrics.get('herald_ingest_requests_total{code="202"}')).toBe(accepted);
    expect([...metrics].filter(([name]) => name.startsWith('herald_ingest_requests_total') && !name.includes('code="202"'))).toStrictEqual([]);
  });

  it('delivers every event to each endpoint exactly as its filter says, each one unchanged', async () => {
    expect(sent.size).toBeGreaterThan(0);
    const wanted = new Map(ENDPOINTS.map((endpoint) => [endpoint.name, [...sent.values()].filter((entry) => endpoint.wants(entry.event))]));
    await Promise.all(
      ENDPOINTS.map(async (endpoint) => {
        const receiver = receivers.get(endpoint.name)!;
        const want = wanted.get(endpoint.name)!.length;
        await receiver.until(() => new Set(receiver.delivered).size >= want, 30_000).catch(() => undefined);
      }),
    );
    // Late duplicates, if any, have time to show.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const perEndpoint: Record<string, unknown> = {};
    let lost = 0;
    let duplicates = 0;
    let changed = 0;
    const checks: (() => void)[] = [];
    for (const endpoint of ENDPOINTS) {
      const receiver = receivers.get(endpoint.name)!;
      const want = wanted.get(endpoint.name)!;
      const wantIds = new Set(want.map((entry) => entry.event.id));
      const got = new Set(receiver.delivered);
      const delivered = eventsOf(receiver);
      const latencies = receiver.deliveries
        .filter((delivery) => delivery.eventIds.length > 0 && sent.has(delivery.eventIds[0]!))
        .map((delivery) => delivery.receivedAt - sent.get(delivery.eventIds[0]!)!.tappedAt)
        .sort((a, b) => a - b);
      const endpointChanged = delivered.filter((event) => sent.get(event.id)?.json !== JSON.stringify(event));
      const endpointLost = [...wantIds].filter((id) => !got.has(id));
      const extra = [...got].filter((id) => !wantIds.has(id));
      lost += endpointLost.length;
      duplicates += receiver.delivered.length - got.size;
      changed += endpointChanged.length;
      perEndpoint[endpoint.name] = {
        expected: wantIds.size,
        delivered: got.size,
        requests: receiver.deliveries.length,
        duplicates: receiver.delivered.length - got.size,
        lost: endpointLost.length,
        unexpected: extra.length,
        actions: countBy(delivered, (event) => event.action),
        // From the registry's request to the tap to Herald's delivery: ingest, Redis, fan-out, delivery.
        latencyMs: { p50: latencies[Math.floor(latencies.length / 2)], max: latencies.at(-1) },
      };
      checks.push(() => {
        expect(got, `endpoint ${endpoint.name}`).toStrictEqual(wantIds);
        expect(endpointChanged, `endpoint ${endpoint.name}: events changed on the way`).toStrictEqual([]);
        expect(new Set(receiver.deliveries.map((delivery) => delivery.headers['content-type'])), `endpoint ${endpoint.name}`).toStrictEqual(new Set([EVENTS_V1]));
      });
    }
    figures['endpoints'] = perEndpoint;
    figures['lost'] = lost;
    figures['duplicates'] = duplicates;
    figures['changed'] = changed;
    // The unfiltered endpoint is what ingest accepted: the same set the registry sent.
    expect(new Set(receivers.get('all')!.delivered)).toStrictEqual(new Set(sent.keys()));
    for (const check of checks) check();
    // Nothing failed: no retry, so no duplicate either (DESIGN: duplicates only after a crash or a timeout).
    expect(duplicates).toBe(0);
  });
});
