import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * Bull Board as an operator meets it: a real `herald start` (writable board) and a
 * read-only `herald board` beside it, opened in headless Chromium. Screenshots go to a
 * temporary folder, or to docs/images with HERALD_UPDATE_SCREENSHOTS=1
 * (`npm run docs:screenshots`).
 */

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const LOGIN = { username: 'admin', password: 'board-pass' };
const V1 = 'application/vnd.docker.distribution.events.v1+json';
const screenshots = process.env['HERALD_UPDATE_SCREENSHOTS'] === '1'
  ? fileURLToPath(new URL('../../docs/images/', import.meta.url))
  : mkdtempSync(join(tmpdir(), 'herald-screenshots-'));

const dir = mkdtempSync(join(tmpdir(), 'herald-board-'));
const prefix = testPrefix();
let audit: WebhookReceiver;
let billing: WebhookReceiver;
let archive: WebhookReceiver;
let herald: HeraldProcess;
let readOnly: HeraldProcess;
let base: string;
let readOnlyBase: string;
let browser: Browser;
let operator: BrowserContext;

let sequence = 0;
function event(tag: string) {
  sequence += 1;
  return {
    id: `board-${prefix.slice(-8)}-${sequence}`,
    timestamp: new Date().toISOString(),
    action: 'push',
    target: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      repository: 'team/app',
      tag,
      digest: 'sha256:812b0aad7519d739f876b9e130be60a9e2266b673a0b3c02532514d626d3a519',
      size: 401,
    },
    request: { id: `req-${sequence}`, host: 'registry.example', method: 'PUT', useragent: 'docker/27.3.1' },
    source: { addr: 'registry-0:5000', instanceID: 'f3b1c2d4' },
  };
}

async function send(events: ReturnType<typeof event>[]): Promise<void> {
  for (const e of events) {
    const response = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { 'content-type': V1, authorization: 'Bearer board-token' },
      body: JSON.stringify({ events: [e] }),
    });
    expect(response.status).toBe(202);
  }
}

async function until(predicate: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function counts(endpoint: string): Promise<Record<string, number>> {
  const queue = new Queue(`endpoint.${endpoint}`, { connection: { url: REDIS_URL }, prefix });
  try {
    return await queue.getJobCounts('failed', 'completed', 'paused', 'waiting');
  } finally {
    await queue.close();
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, name) });
}

/** A page of the board, once the UI has rendered its queue menu. */
async function open(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await menu(page).getByRole('link', { name: 'audit' }).waitFor();
  return page;
}

/** The board's side menu of queues. */
function menu(page: Page) {
  return page.locator('#bull-board-sidebar');
}

/** Clicks an action that the board asks to confirm, and confirms it. */
async function confirmed(page: Page, action: () => Promise<void>): Promise<void> {
  await action();
  await page.getByRole('button', { name: 'Confirm' }).click();
}

async function isPaused(endpoint: string): Promise<boolean> {
  const queue = new Queue(`endpoint.${endpoint}`, { connection: { url: REDIS_URL }, prefix });
  try {
    return await queue.isPaused();
  } finally {
    await queue.close();
  }
}

const delivered = ['v1', 'v2', 'v3'].map(event);
const undeliverable = event('v4-rc1');

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  [audit, billing, archive] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start(), WebhookReceiver.start()]);
  billing.reply = () => ({ status: 503 });
  // The audit URL carries credentials and a token in its query: the board must show neither.
  const auditUrl = new URL(audit.url);
  auditUrl.username = 'bot';
  auditUrl.password = 'hunter2';
  auditUrl.search = '?token=url-secret';
  const config = join(dir, 'herald.yml');
  writeFileSync(
    config,
    [
      `redis: { url: "${REDIS_URL}", prefix: "${prefix}" }`,
      'http: { host: 127.0.0.1, port: 0 }',
      'ingest: { token: board-token }',
      `board: { username: ${LOGIN.username}, password: ${LOGIN.password} }`,
      'endpoints:',
      `  - { name: audit, url: "${auditUrl}", maxbatch: 8 }`,
      `  - { name: billing, url: "${billing.url}", backoff: 100ms, maxage: 1s }`,
      `  - { name: archive, url: "${archive.url}", ordered: true, ignore: { actions: [pull] } }`,
      '',
    ].join('\n'),
  );
  herald = new HeraldProcess(['start', '--config', config]);
  readOnly = new HeraldProcess(['board', '--config', config], { HERALD_BOARD_READ_ONLY: 'true' });
  await Promise.all([herald.waitFor('health: '), readOnly.waitFor('board: http')]);
  base = /ingest: POST events to (http:\/\/[^/]+)\/events/.exec(herald.output.join(''))![1]!;
  readOnlyBase = /board: (http:\/\/[^/]+)\/board/.exec(readOnly.output.join(''))![1]!;

  await send([...delivered, undeliverable]);
  await audit.until(() => delivered.every((e) => audit.delivered.includes(e.id)) && audit.delivered.includes(undeliverable.id));
  await until(async () => (await counts('billing'))['failed'] === 4, 'billing to give up its 4 deliveries');

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  operator = await browser.newContext({ httpCredentials: LOGIN, viewport: { width: 1280, height: 800 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  const exits = await Promise.all([herald?.stop('SIGTERM'), readOnly?.stop('SIGTERM')]);
  await Promise.all([audit?.close(), billing?.close(), archive?.close()]);
  await deleteKeys(REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
  if (process.env['HERALD_UPDATE_SCREENSHOTS'] !== '1') rmSync(screenshots, { recursive: true, force: true });
  expect(exits).toStrictEqual([
    { code: 0, signal: null },
    { code: 0, signal: null },
  ]);
});

describe('the board in a browser', () => {
  it('asks for a login and refuses a wrong one', async () => {
    const stranger = await browser.newContext();
    try {
      // Challenged with nothing to answer (a person would see the login prompt), headless Chromium gives up.
      await expect((await stranger.newPage()).goto(`${base}/board`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
      const response = await stranger.request.get(`${base}/board`);
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toBe('Basic realm="Herald board"');
    } finally {
      await stranger.close();
    }
    for (const login of [{ username: LOGIN.username, password: 'wrong' }, { username: 'root', password: LOGIN.password }]) {
      const context = await browser.newContext({ httpCredentials: login });
      try {
        const page = await context.newPage();
        const response = await page.goto(`${base}/board`);
        expect(response?.status()).toBe(401);
        expect(response?.headers()['www-authenticate']).toBe('Basic realm="Herald board"');
        expect(await page.content()).not.toContain('audit');
      } finally {
        await context.close();
      }
    }
  });

  it('lists every endpoint queue by name, with where it delivers and no credentials', async () => {
    const page = await open(operator, `${base}/board`);
    // The side menu groups the endpoint queues under "endpoint", in config order.
    await expect.poll(() => menu(page).innerText()).toMatch(/ENDPOINT\s+3\s+audit\s+billing\s+archive\s+events/i);
    // The overview names each queue as a person would.
    for (const name of ['audit', 'billing', 'archive', 'fan-out (ingress)']) await page.getByText(name, { exact: true }).first().waitFor();
    await shot(page, 'board-queues.png');

    await menu(page).getByRole('link', { name: 'audit' }).click();
    await page.getByText(`POST ${audit.url} · up to 8 deliveries per request`).waitFor();
    await menu(page).getByRole('link', { name: 'archive' }).click();
    await page.getByText(`POST ${archive.url} · ordered · ignores pull`).waitFor();
    const api = await page.request.get(`${base}/board/api/queues?activeQueue=endpoint.audit&status=completed`);
    for (const text of [await page.content(), await api.text()]) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('url-secret');
    }
    await page.close();
  });

  it("shows a delivery's events as readable JSON, titled by what they did", async () => {
    const page = await open(operator, `${base}/board/queue/endpoint.audit?status=completed`);
    const card = page.locator('[class*="card"]', { hasText: 'push team/app:v3' }).first();
    await card.waitFor();
    await card.getByRole('tab', { name: 'Data' }).click();
    // The events are collapsed into `{...}`: open them all, as a person would.
    const expand = card.getByRole('button', { name: 'expand JSON' });
    for (let clicks = 0; clicks < 10 && (await expand.count()) > 0; clicks += 1) await expand.first().click();
    const data = await card.innerText();
    for (const field of ['repository', 'team/app', 'v3', delivered[2]!.id, 'registry-0:5000']) expect(data).toContain(field);
    await card.evaluate((element) => element.querySelectorAll('*').forEach((child) => (child.scrollTop = 0)));
    await card.screenshot({ path: join(screenshots, 'board-delivery.png') });
    await page.close();
  });

  it("shows a failed delivery's last error and its attempt history", async () => {
    const page = await open(operator, `${base}/board/queue/endpoint.billing?status=failed`);
    const card = page.locator('[class*="card"]', { hasText: 'push team/app:v4-rc1' }).first();
    await card.getByText('given up after maxage 1000ms: endpoint "billing" answered 503').waitFor();
    await card.getByRole('tab', { name: 'Logs' }).click();
    await card.getByText(/attempt \d+ failed after \d+ms: endpoint "billing" answered 503; next attempt in \d+ms/).first().waitFor();
    await card.getByText(/failed after \d+ms: endpoint "billing" answered 503; given up: past maxage 1s, kept for herald replay/).waitFor();
    await card.screenshot({ path: join(screenshots, 'board-failed.png') });
    await page.close();
  });

  it('refuses to retry from a read-only board', async () => {
    const page = await open(operator, `${readOnlyBase}/board/queue/endpoint.billing?status=failed`);
    await page.getByText('push team/app:v4-rc1').waitFor();
    expect(await page.getByRole('button', { name: 'Retry all' }).count()).toBe(0);
    expect(await page.locator('button:has(svg.lucide-refresh-cw)').count()).toBe(0);
    const response = await page.request.put(`${readOnlyBase}/board/api/queues/endpoint.billing/retry/failed`);
    expect(response.status()).toBe(405);
    expect((await counts('billing'))['failed']).toBe(4);
    await page.close();
  });

  it('retries a failed delivery from a writable board, and the endpoint gets it', async () => {
    billing.reply = () => ({ status: 200 });
    const page = await open(operator, `${base}/board/queue/endpoint.billing?status=failed`);
    const card = page.locator('[class*="card"]', { hasText: 'push team/app:v4-rc1' }).first();
    await confirmed(page, () => card.locator('button:has(svg.lucide-refresh-cw)').click());
    await billing.until(() => billing.delivered.includes(undeliverable.id));
    expect(billing.delivered).toStrictEqual([undeliverable.id]);
    await until(async () => (await counts('billing'))['failed'] === 3, 'the retried delivery to leave the failed set');
    await page.close();
  });

  it('pauses an endpoint from the board, shows it paused, keeps its events, and delivers them all on resume', async () => {
    const page = await open(operator, `${base}/board/queue/endpoint.archive`);
    await page.locator('[class*="trailing"] button[aria-haspopup="menu"]').click();
    await confirmed(page, () => page.getByRole('menuitem', { name: 'Pause' }).click());
    await until(() => isPaused('archive'), 'archive to be paused');
    await expect.poll(() => menu(page).innerText()).toMatch(/archive\s*\[ Paused \]/);
    const later = ['v5', 'v6'].map(event);
    await send(later);
    // audit gets them: archive had its chance, and waits.
    await audit.until(() => later.every((e) => audit.delivered.includes(e.id)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(archive.delivered.filter((id) => later.some((e) => e.id === id))).toStrictEqual([]);
    await page.reload();
    await menu(page).getByRole('link', { name: 'audit' }).waitFor();
    await shot(page, 'board-paused.png');

    await page.locator('[class*="trailing"] button[aria-haspopup="menu"]').click();
    await confirmed(page, () => page.getByRole('menuitem', { name: 'Resume' }).click());
    await archive.until(() => later.every((e) => archive.delivered.includes(e.id)));
    await expect.poll(() => menu(page).innerText()).not.toMatch(/Paused/);
    expect(archive.delivered).toStrictEqual([...delivered, undeliverable, ...later].map((e) => e.id));
    await page.close();
  });
});
