import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig, parseDuration } from '@herald/config';

// The deployment files an operator starts from: docker-compose.yml, docs/deploy/*.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'docs', 'deploy');
const KUBERNETES = join(DEPLOY, 'kubernetes');

type Service = {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  deploy?: { replicas?: number };
};

function onPath(command: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => {
    try {
      return readdirSync(dir).includes(command);
    } catch {
      return false;
    }
  });
}

/** The environment without HERALD_* variables, so compose substitutes the file's defaults. */
function envWithoutHerald(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HERALD_')));
}

const hasCompose = onPath('docker-compose');
const dir = mkdtempSync(join(tmpdir(), 'herald-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasCompose)('docker-compose.yml (needs docker-compose on PATH; skipped without it)', () => {
  let resolved: { services: Record<string, Service> } | undefined;
  /** What `docker-compose config` prints (it throws on a non-zero exit), parsed once. */
  const config = () => {
    resolved ??= parse(
      execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
        cwd: ROOT,
        env: envWithoutHerald(),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as { services: Record<string, Service> };
    return resolved;
  };

  it('is accepted by docker-compose config and defines every service', () => {
    const { services } = config();
    expect(Object.keys(services).sort()).toEqual(['board', 'ingest', 'receiver', 'redis', 'registry', 'worker']);
  });

  it('runs redis with an append-only file, fsync every second, no eviction and compact delivery jobs', () => {
    const command = config().services['redis']!.command!.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--appendfsync everysec');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(command).toContain('--hash-max-listpack-value 1024');
  });

  it('keeps two worker replicas', () => {
    expect(config().services['worker']!.deploy?.replicas).toBe(2);
  });

  it('runs each herald role from the same image', () => {
    const { services } = config();
    for (const [name, command] of [['ingest', 'ingest'], ['worker', 'worker'], ['board', 'board'], ['receiver', 'receiver']]) {
      expect(services[name]!.image).toBe('herald:dev');
      expect(services[name]!.command![0]).toBe(command);
    }
  });

  it('wires the registry to ingest with the ingest token', () => {
    const { services } = config();
    const registryVolumes = services['registry']!.volumes!;
    expect(registryVolumes.some((volume) => volume.includes('docs/deploy/registry-config.yml:/etc/docker/registry/config.yml'))).toBe(true);

    const token = services['ingest']!.environment!['HERALD_INGEST_TOKEN'];
    expect(token).toBe('change-me');
    const registry = parse(readFileSync(join(DEPLOY, 'registry-config.yml'), 'utf8')) as {
      notifications: { endpoints: { url: string; headers: Record<string, string[]> }[] };
    };
    const endpoint = registry.notifications.endpoints.find((e) => e.url === 'http://ingest:8420/events');
    expect(endpoint).toBeDefined();
    expect(endpoint!.headers['Authorization']).toEqual([`Bearer ${token}`]);
  });

  it('gives herald a config its own loader accepts, delivering signed to the receiver', () => {
    const { services } = config();
    const file = join(DEPLOY, 'herald.compose.yaml');
    for (const name of ['ingest', 'worker', 'board']) {
      expect(services[name]!.environment!['HERALD_CONFIG']).toBe('/etc/herald/herald.yaml');
      expect(services[name]!.volumes!.some((volume) => volume.endsWith('docs/deploy/herald.compose.yaml:/etc/herald/herald.yaml:ro'))).toBe(true);
    }
    const herald = loadConfig({ file, env: {} });
    expect(herald.redis.url).toBe('redis://redis:6379');
    const receiver = herald.endpoints.find((endpoint) => endpoint.url === 'http://receiver:9000/hook');
    expect(receiver).toBeDefined();
    expect(receiver!.secrets).toHaveLength(1);
    // The receiver checks signatures with the very secret the workers sign with.
    const command = services['receiver']!.command!;
    expect(command[command.indexOf('--secret') + 1]).toBe(receiver!.secrets[0]);
  });

  it('gives a registry config whose notifications block herald reads as well', () => {
    const herald = loadConfig({ file: join(DEPLOY, 'registry-config.yml'), env: {} });
    expect(herald.source.registryConfig).toBe(true);
    expect(herald.endpoints.map((endpoint) => endpoint.url)).toEqual(['http://ingest:8420/events']);
  });
});

describe('kubernetes manifests', () => {
  const files = readdirSync(KUBERNETES).filter((name) => /\.ya?ml$/.test(name)).sort();
  type Manifest = {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string };
    data?: Record<string, string>;
    stringData?: Record<string, string>;
    spec?: { replicas?: number; template?: { spec?: PodSpec } };
  };
  type PodSpec = {
    terminationGracePeriodSeconds?: number;
    securityContext?: { runAsGroup?: number; fsGroup?: number };
    containers?: {
      env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string } } }[];
      volumeMounts?: { name: string; mountPath: string }[];
    }[];
    volumes?: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
  };
  const manifests = (): Manifest[] =>
    files.flatMap((name) => parseAllDocuments(readFileSync(join(KUBERNETES, name), 'utf8')).map((document) => document.toJS() as Manifest));
  const find = (kind: string, name: string) => manifests().find((m) => m.kind === kind && m.metadata?.name === name);

  it('parses every YAML file and names each object', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const documents = parseAllDocuments(readFileSync(join(KUBERNETES, name), 'utf8'));
      expect(documents.length, `${name} holds at least one document`).toBeGreaterThan(0);
      for (const document of documents) {
        expect(document.errors, name).toEqual([]);
        const manifest = document.toJS() as Manifest;
        expect(manifest?.apiVersion, name).toBeTruthy();
        expect(manifest?.kind, name).toBeTruthy();
        expect(manifest?.metadata?.name, name).toBeTruthy();
      }
    }
  });

  it('describes the fleet: namespace, secret, config, redis, ingest, workers, board', () => {
    const kinds = manifests().map((m) => `${m.kind}/${m.metadata?.name}`);
    for (const expected of [
      'Namespace/herald',
      'Secret/herald',
      'ConfigMap/herald-config',
      'StatefulSet/redis',
      'Service/redis',
      'Deployment/ingest',
      'Service/ingest',
      'Deployment/worker',
      'Deployment/board',
      'Service/board',
    ]) {
      expect(kinds).toContain(expected);
    }
    expect(find('Deployment', 'ingest')!.spec!.replicas).toBe(2);
    expect(find('Deployment', 'worker')!.spec!.replicas).toBe(3);
  });

  it('gives workers more time to stop than the longest endpoint timeout, plus the 10 s a shutdown may take past it', () => {
    const endpoints = JSON.parse(find('Secret', 'herald')!.stringData!['endpoints.json']!) as { timeout?: string }[];
    const longestTimeoutSeconds = Math.max(...endpoints.map((endpoint) => parseDuration(endpoint.timeout ?? '5s') / 1000));
    expect(find('Deployment', 'worker')!.spec!.template!.spec!.terminationGracePeriodSeconds).toBeGreaterThan(longestTimeoutSeconds + 10);
  });

  it('hands ingest its token and the board its password as files from the Secret, not as variables', () => {
    const secretKeys = Object.keys(find('Secret', 'herald')!.stringData!);
    for (const [deployment, variable, key] of [
      ['ingest', 'HERALD_INGEST_TOKEN_FILE', 'ingest-token'],
      ['board', 'HERALD_BOARD_PASSWORD_FILE', 'board-password'],
    ] as const) {
      const pod = find('Deployment', deployment)!.spec!.template!.spec!;
      const container = pod.containers![0]!;
      const path = container.env!.find((entry) => entry.name === variable)?.value;
      expect(path, `${deployment} sets ${variable}`).toBeDefined();
      expect(container.env!.map((entry) => entry.valueFrom?.secretKeyRef?.key)).not.toContain(key);
      // The file is an item of a Secret volume mounted where the variable points.
      const mount = container.volumeMounts!.find((candidate) => path!.startsWith(`${candidate.mountPath}/`))!;
      const volume = pod.volumes!.find((candidate) => candidate.name === mount.name)!;
      expect(volume.secret?.secretName).toBe('herald');
      expect(volume.secret?.items).toContainEqual({ key, path: path!.slice(mount.mountPath.length + 1) });
      expect(secretKeys).toContain(key);
      // The pod's user reads it through its group.
      expect(pod.securityContext?.fsGroup).toBe(pod.securityContext?.runAsGroup);
    }
  });

  it('has a config and endpoints herald accepts once the placeholder secret is replaced', () => {
    const file = join(dir, 'herald.yaml');
    writeFileSync(file, find('ConfigMap', 'herald-config')!.data!['herald.yaml']!);
    const endpoints = find('Secret', 'herald')!.stringData!['endpoints.json']!;

    // The placeholder is refused, naming the key, so nobody runs with it by mistake.
    const refused = (() => {
      try {
        loadConfig({ file, env: { HERALD_ENDPOINTS: endpoints } });
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).problems.map((problem) => problem.key)).toEqual(['HERALD_ENDPOINTS[0].secret']);

    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const filled = endpoints.replace(/whsec_REPLACE_ME\w*/, secret);
    const herald = loadConfig({ file, env: { HERALD_ENDPOINTS: filled } });
    expect(herald.http.host).toBe('0.0.0.0');
    expect(herald.endpoints[0]!.secrets).toEqual([secret]);
  });
});

describe('kubernetes manifests for a Redis Cluster', () => {
  const CLUSTER = join(DEPLOY, 'kubernetes-cluster');
  type Manifest = { kind?: string; metadata?: { name?: string }; data?: Record<string, string>; spec?: Record<string, unknown> };
  const manifests = (): Manifest[] =>
    readdirSync(CLUSTER)
      .filter((name) => /\.ya?ml$/.test(name))
      .flatMap((name) =>
        parseAllDocuments(readFileSync(join(CLUSTER, name), 'utf8')).map((document) => {
          expect(document.errors, name).toEqual([]);
          return document.toJS() as Manifest;
        }),
      );
  const find = (kind: string, name: string) => manifests().find((m) => m.kind === kind && m.metadata?.name === name);

  it('runs six cluster nodes, joined as three masters with a replica each', () => {
    const nodes = find('StatefulSet', 'redis-cluster')!;
    expect(nodes.spec!['replicas']).toBe(6);
    const args = JSON.stringify(nodes.spec);
    for (const setting of ['"--cluster-enabled","yes"', '"--appendonly","yes"', '"--maxmemory-policy","noeviction"']) expect(args).toContain(setting);
    expect(JSON.stringify(find('Job', 'redis-cluster-create')!.spec)).toContain('--cluster-replicas 1');
  });

  it('gives Herald a config it reads as cluster mode with replicated durability', () => {
    const file = join(dir, 'herald-cluster.yaml');
    writeFileSync(file, find('ConfigMap', 'herald-config')!.data!['herald.yaml']!);
    const config = loadConfig({ file, env: {} });
    expect(config.redis).toMatchObject({ mode: 'cluster', durability: 'replicated' });
    expect(config.redis.cluster.nodes).toHaveLength(3);
  });

  it('scales the workers of the base fleet on the queue depth Herald exports, with a query Prometheus accepts', () => {
    const scaled = find('ScaledObject', 'worker')!;
    expect(scaled.spec!['scaleTargetRef']).toMatchObject({ kind: 'Deployment', name: 'worker' });
    const base = readFileSync(join(KUBERNETES, '30-worker.yaml'), 'utf8');
    expect(base).toMatch(/kind: Deployment\nmetadata:\n  name: worker/);
    const query = (scaled.spec!['triggers'] as { metadata: { query: string } }[])[0]!.metadata.query;
    expect(query).toContain('herald_queue_jobs');
    // promtool parses it as the expression of a rule.
    const rules = join(dir, 'scaling-query.yml');
    writeFileSync(rules, `groups:\n  - name: q\n    rules:\n      - record: herald:waiting\n        expr: ${JSON.stringify(query)}\n`);
    try {
      execFileSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return void console.warn('promtool skipped: not installed');
      throw new Error(`promtool refused the query: ${(error as { stdout?: string }).stdout ?? ''}`);
    }
  });
});
