import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { freePort } from '../helpers/redis-server.js';

/**
 * Runs docs/getting-started.md as a reader would, against a fresh `npm start`:
 *
 * - the ```sh block with `npm start` starts the server (`npm install` is skipped: the
 *   suite runs installed); a ```text npm-start block lists lines its output must show;
 * - every other ```sh block runs with bash, in order, and must exit 0; a ```text block right
 *   after it lists lines its output must show (`…` stands for any text). A block whose
 *   output does not show them yet is run again for up to 15 s: the page says "a moment later".
 *
 * So that it can run beside a Herald on the documented ports, the test moves ports 8420
 * and 8425 and the Redis prefix, in the commands and in what they print alike.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGE = readFileSync(new URL('../../docs/getting-started.md', import.meta.url), 'utf8');
const EXAMPLE = parse(readFileSync(new URL('../../docs/examples/herald.yaml', import.meta.url), 'utf8')) as {
  endpoints: { url: string }[];
};

interface Block {
  readonly info: string;
  readonly body: string;
}

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((match) => ({ info: match[1]!.trim(), body: match[2]! }));
}

/** Whether every expected line (trimmed; `…` for any text) matches a whole line of the output. */
function shows(output: string, expected: string): boolean {
  const lines = output.split('\n').map((line) => line.trimEnd());
  return expected
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .every((line) => {
      const pattern = new RegExp(`^${line.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      return lines.some((candidate) => pattern.test(candidate));
    });
}

const prefix = testPrefix();
const port = await freePort();
const receiverPort = await freePort();
const moves: [string, string][] = [
  ['127.0.0.1:8420', `127.0.0.1:${port}`],
  ['127.0.0.1:8425', `127.0.0.1:${receiverPort}`],
  ['prefix "herald"', `prefix "${prefix}"`],
  ['redis://127.0.0.1:6379', REDIS_URL],
];
const moved = (text: string) => moves.reduce((result, [from, to]) => result.replaceAll(from, to), text);

// The example endpoint as docs/examples/herald.yaml writes it, on the moved receiver port.
const endpoints = EXAMPLE.endpoints.map((endpoint) => ({ ...endpoint, url: moved(endpoint.url) }));
const env = {
  ...process.env,
  REDIS_URL,
  HERALD_HTTP_PORT: String(port),
  HERALD_REDIS_PREFIX: prefix,
  HERALD_ENDPOINTS: JSON.stringify(endpoints),
};

let server: ReturnType<typeof spawn> | undefined;
let serverOutput = '';

afterAll(async () => {
  if (server !== undefined && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    process.kill(-server.pid!, 'SIGKILL');
    await exited;
  }
  await deleteKeys(REDIS_URL, prefix);
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function run(command: string): { status: number | null; output: string } {
  const result = spawnSync('bash', ['-euo', 'pipefail', '-c', command], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('docs/getting-started.md', () => {
  const all = blocks(PAGE);

  it('has the blocks this test knows how to run', () => {
    expect(all.filter((block) => block.info === 'sh' && block.body.includes('npm start'))).toHaveLength(1);
    expect(all.filter((block) => block.info === 'sh').length).toBeGreaterThanOrEqual(4);
    expect(all.every((block) => ['sh', 'text', 'text npm-start'].includes(block.info)), 'an unknown code block').toBe(true);
  });

  it('works as written: every command runs and prints what the page says', async () => {
    for (const [index, block] of all.entries()) {
      if (block.info === 'sh' && block.body.includes('npm start')) {
        expect(block.body.trim()).toBe('npm install && npm start');
        server = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        server.stdout!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString('utf8')));
        server.stderr!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString('utf8')));
        server.on('error', (error) => (serverOutput += `\ncould not run npm start: ${error.message}\n`));
        server.on('exit', (code, signal) => (serverOutput += `\nnpm start exited: ${code ?? signal}\n`));
      } else if (block.info === 'text npm-start') {
        const expected = moved(block.body);
        const seen = await until(() => shows(serverOutput, expected), 30_000);
        expect(seen, `npm start did not print:\n${expected}\nit printed:\n${serverOutput}`).toBe(true);
      } else if (block.info === 'sh') {
        const next = all[index + 1];
        const expected = next?.info === 'text' ? moved(next.body) : undefined;
        let last = { status: null as number | null, output: '' };
        const ok = await until(() => {
          last = run(moved(block.body));
          return last.status === 0 && (expected === undefined || shows(last.output, expected));
        }, 15_000);
        expect(ok, `block ${block.body}\nexited ${last.status}, printed:\n${last.output}\nexpected:\n${expected ?? '(exit 0)'}`).toBe(true);
      }
    }
  });

  it('stops on Ctrl-C, after the deliveries in flight', async () => {
    expect(server).toBeDefined();
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => server!.once('exit', (code, signal) => resolve(code ?? signal)));
    // A terminal's Ctrl-C: SIGINT to the foreground process group (npm and herald). Herald
    // exits 0; npm then ends itself with the signal, as it does for any script.
    process.kill(-server!.pid!, 'SIGINT');
    expect([0, 'SIGINT']).toContain(await exited);
    expect(serverOutput).toMatch(/"signal":"SIGINT".*"msg":"stopping after work in flight"/);
    expect(serverOutput).toContain('"msg":"herald stopped"');
  });
});
