import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer } from '@herald/producer';
import { heraldEnv, HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * How soon a delivery held by a SIGKILLed worker goes out again: within max(10 s, 2 × the
 * endpoint's timeout), since each endpoint's lock follows its timeout (delivery-lock.ts).
 */

const prefix = testPrefix();
const TIMEOUT_MS = 3000;
const BOUND_MS = Math.max(10_000, 2 * TIMEOUT_MS);
let receiver: WebhookReceiver;
const processes: HeraldProcess[] = [];

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
});

afterAll(async () => {
  await Promise.all(processes.map((herald) => herald.stop('SIGKILL')));
  await receiver?.close();
  await deleteKeys(REDIS_URL, prefix);
});

describe('a worker SIGKILLed mid-delivery', () => {
  it(`has its delivery sent again by another worker within max(10 s, 2 × timeout) = ${BOUND_MS / 1000} s`, async () => {
    const env = heraldEnv(REDIS_URL, prefix, { HERALD_ENDPOINTS: JSON.stringify([{ name: 'hooks', url: receiver.url, timeout: `${TIMEOUT_MS}ms` }]) });
    // The first attempt hangs: the victim holds it when it dies. Later ones are answered.
    receiver.reply = (_delivery, attempt) => (attempt === 1 ? 'hang' : { status: 200 });
    const victim = new HeraldProcess(['worker'], env);
    processes.push(victim);
    await victim.waitFor('worker: delivering to');
    const producer = createProducer({ redis: REDIS_URL, prefix });
    try {
      await producer.write({ id: 'held-1', timestamp: new Date().toISOString(), action: 'push', target: { repository: 'team/app', tag: 'v1' } });
    } finally {
      await producer.close();
    }
    await receiver.until(() => receiver.inFlight === 1);
    // The rest of the fleet is running when the victim dies, as in production.
    const rescuer = new HeraldProcess(['worker'], env);
    processes.push(rescuer);
    await rescuer.waitFor('worker: delivering to');
    await victim.stop('SIGKILL');
    const killedAt = Date.now();
    await receiver.until(() => receiver.delivered.includes('held-1'), BOUND_MS + 5000);
    const recoveryMs = Date.now() - killedAt;
    console.log(`crash recovery: delivered again ${recoveryMs} ms after the SIGKILL (bound ${BOUND_MS} ms)`);
    // Slack for a busy machine's timers.
    expect(recoveryMs).toBeLessThan(BOUND_MS + 1000);
    expect(receiver.delivered).toStrictEqual(['held-1']);
  });
});
