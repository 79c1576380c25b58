import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signPayload, verifySignature, webhookIdOf } from './signature.js';

// The published Standard Webhooks test vector (reference libraries' tests).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const MSG_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const PAYLOAD = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const OTHER = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const AT = TIMESTAMP * 1000;

function headers(signature: string, timestamp = String(TIMESTAMP), id = MSG_ID) {
  return { id, timestamp, signature };
}

describe('signPayload', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    expect(signPayload([SECRET], MSG_ID, TIMESTAMP, PAYLOAD)).toBe(SIGNATURE);
  });

  it('accepts a secret without the whsec_ prefix', () => {
    expect(signPayload([SECRET.slice(6)], MSG_ID, TIMESTAMP, PAYLOAD)).toBe(SIGNATURE);
  });

  it('signs once per secret, space-separated, in order', () => {
    const value = signPayload([OTHER, SECRET], MSG_ID, TIMESTAMP, PAYLOAD);
    const [first, second] = value.split(' ');
    expect(value.split(' ')).toHaveLength(2);
    expect(first).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(first).not.toBe(SIGNATURE);
    expect(second).toBe(SIGNATURE);
  });

  it('refuses no secrets, a dotted id and a fractional timestamp', () => {
    expect(() => signPayload([], MSG_ID, TIMESTAMP, PAYLOAD)).toThrow(RangeError);
    expect(() => signPayload([SECRET], 'msg.1', TIMESTAMP, PAYLOAD)).toThrow(TypeError);
    expect(() => signPayload([SECRET], MSG_ID, 1.5, PAYLOAD)).toThrow(TypeError);
  });
});

describe('verifySignature', () => {
  it('accepts the test vector within the tolerance', () => {
    expect(verifySignature([SECRET], headers(SIGNATURE), PAYLOAD, { now: AT })).toBe(true);
    expect(verifySignature([SECRET], headers(SIGNATURE), PAYLOAD, { now: AT + 299_000 })).toBe(true);
  });

  it('accepts when any signature matches any secret', () => {
    const both = signPayload([OTHER, SECRET], MSG_ID, TIMESTAMP, PAYLOAD);
    expect(verifySignature([SECRET], headers(both), PAYLOAD, { now: AT })).toBe(true);
    expect(verifySignature([OTHER], headers(both), PAYLOAD, { now: AT })).toBe(true);
    expect(verifySignature([OTHER, SECRET], headers(`v1,bm9wZQ== ${SIGNATURE}`), PAYLOAD, { now: AT })).toBe(true);
  });

  it('rejects a tampered body, id or timestamp', () => {
    expect(verifySignature([SECRET], headers(SIGNATURE), '{"test": 2432232315}', { now: AT })).toBe(false);
    expect(verifySignature([SECRET], headers(SIGNATURE, String(TIMESTAMP), 'msg_other'), PAYLOAD, { now: AT })).toBe(false);
    expect(verifySignature([SECRET], headers(SIGNATURE, String(TIMESTAMP + 1)), PAYLOAD, { now: AT })).toBe(false);
  });

  it('rejects a wrong secret', () => {
    expect(verifySignature([OTHER], headers(SIGNATURE), PAYLOAD, { now: AT })).toBe(false);
  });

  it('rejects timestamps outside the tolerance, either way', () => {
    expect(verifySignature([SECRET], headers(SIGNATURE), PAYLOAD, { now: AT + 301_000 })).toBe(false);
    expect(verifySignature([SECRET], headers(SIGNATURE), PAYLOAD, { now: AT - 301_000 })).toBe(false);
    expect(verifySignature([SECRET], headers(SIGNATURE), PAYLOAD, { now: AT + 10_000, toleranceSeconds: 5 })).toBe(false);
  });

  it('rejects missing or malformed headers and other versions', () => {
    const options = { now: AT };
    expect(verifySignature([SECRET], { id: MSG_ID, timestamp: String(TIMESTAMP), signature: undefined }, PAYLOAD, options)).toBe(false);
    expect(verifySignature([SECRET], { id: undefined, timestamp: String(TIMESTAMP), signature: SIGNATURE }, PAYLOAD, options)).toBe(false);
    expect(verifySignature([SECRET], headers(SIGNATURE, '1614265330.0'), PAYLOAD, options)).toBe(false);
    expect(verifySignature([SECRET], headers(''), PAYLOAD, options)).toBe(false);
    expect(verifySignature([SECRET], headers(SIGNATURE.replace('v1,', 'v1a,')), PAYLOAD, options)).toBe(false);
    expect(verifySignature([SECRET], headers('v1,'), PAYLOAD, options)).toBe(false);
  });
});

describe('interoperability with the standardwebhooks library', () => {
  it('verifies what we sign, with either secret', () => {
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ events: [{ id: 'a', action: 'push' }] });
    const id = webhookIdOf('hooks', ['a']);
    const signature = signPayload([SECRET, OTHER], id, now, body);
    const sent = { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': signature };
    expect(new Webhook(SECRET).verify(body, sent)).toStrictEqual(JSON.parse(body));
    expect(new Webhook(OTHER).verify(body, sent)).toStrictEqual(JSON.parse(body));
  });

  it('accepts what it signs', () => {
    const now = new Date();
    const seconds = Math.floor(now.getTime() / 1000);
    const signature = new Webhook(SECRET).sign(MSG_ID, now, PAYLOAD);
    expect(signature).toBe(signPayload([SECRET], MSG_ID, seconds, PAYLOAD));
    expect(verifySignature([SECRET], headers(signature, String(seconds)), PAYLOAD)).toBe(true);
  });
});

describe('webhookIdOf', () => {
  it('is stable for the same endpoint and events', () => {
    expect(webhookIdOf('hooks', ['a', 'b'])).toBe(webhookIdOf('hooks', ['a', 'b']));
    expect(webhookIdOf('hooks', ['a', 'b'])).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  it('differs for other events, another order or another endpoint', () => {
    const id = webhookIdOf('hooks', ['a', 'b']);
    expect(webhookIdOf('hooks', ['a'])).not.toBe(id);
    expect(webhookIdOf('hooks', ['b', 'a'])).not.toBe(id);
    expect(webhookIdOf('other', ['a', 'b'])).not.toBe(id);
  });

  it('keeps the ids already sent for plain event ids', () => {
    expect(webhookIdOf('hooks', ['a', 'b'])).toBe('msg_bd544a5465dc26704ed054a9e4826ac3');
  });

  it.each([
    // Each pair shared one webhook-id, so a receiver deduplicating on it dropped the second delivery.
    ['an event id holding a line break', ['a\nb'], ['a', 'b']],
    ['a lone surrogate', ['\uD800'], ['\uFFFD']],
  ])('differs for events that differ by %s', (_name, a, b) => {
    expect(webhookIdOf('hooks', a)).not.toBe(webhookIdOf('hooks', b));
  });
});
