import type { EgressConfig } from '@herald/config';
import { afterEach, describe, expect, it } from 'vitest';
import { noopDeliveryListener } from '../src/delivery-listener.js';
import { EndpointRequestError } from '../src/endpoint-errors.js';
import { EgressRefusedError } from '../src/egress-policy.js';
import { HttpSink, type HttpSinkOptions } from '../src/http-sink.js';
import { DnsServer } from './helpers/dns-server.js';
import { Receiver } from './helpers/receiver.js';
import { endpointConfig, event } from './helpers/sink-fixture.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(listen: { host?: string; port?: number } = {}): Promise<Receiver> {
  const started = await Receiver.start(undefined, undefined, listen);
  cleanups.push(() => started.close());
  return started;
}

/** Errors the sink's listener was told about. */
function sinkFor(url: string, egress: EgressConfig, options: Partial<HttpSinkOptions> & { endpointAllow?: string[] } = {}) {
  const errors: Error[] = [];
  const listener = { ...noopDeliveryListener, onError: (_endpoint: string, _events: unknown, error: Error) => errors.push(error) };
  const { endpointAllow = [], ...rest } = options;
  const sink = new HttpSink(endpointConfig(url, { egressAllow: endpointAllow }), { userAgent: 'herald/test', listener, egress, ...rest });
  cleanups.push(() => sink.close());
  return { sink, errors };
}

const PRIVATE: EgressConfig = { deny: ['private'], allow: [] };
const NONE: EgressConfig = { deny: [], allow: [] };

/** The EgressRefusedError behind a refused write, after checking the error a caller sees. */
async function refusal(write: Promise<void>): Promise<EgressRefusedError> {
  const error = await write.then(
    () => expect.fail('expected the write to be refused'),
    (rejected: unknown) => rejected,
  );
  expect(error).toBeInstanceOf(EndpointRequestError);
  expect((error as EndpointRequestError).reason).toBe('egress');
  const { refusal: refused } = error as EndpointRequestError;
  expect(refused).toBeInstanceOf(EgressRefusedError);
  expect((error as Error).cause).toBeUndefined();
  return refused as EgressRefusedError;
}

describe('egress.deny: [private]', () => {
  it('refuses 127.0.0.1 without connecting, naming the address and the rule, and tells the listener', async () => {
    const endpoint = await receiver();
    const { sink, errors } = sinkFor(endpoint.url, PRIVATE);
    const refused = await refusal(sink.write(event('a')));
    expect(refused.address).toBe('127.0.0.1');
    expect(refused.rule).toBe('egress.deny: private (127.0.0.0/8)');
    expect(refused.message).toContain('loopback');
    expect(endpoint.connections).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe(
      'endpoint "hooks" not contacted: egress refused 127.0.0.1, loopback, by egress.deny: private (127.0.0.0/8); add it to egress.allow to permit it',
    );
  });

  it('refuses a host name that resolves to loopback (localhost)', async () => {
    const endpoint = await receiver();
    const refused = await refusal(sinkFor(endpoint.url.replace('127.0.0.1', 'localhost'), PRIVATE).sink.write(event('a')));
    expect(['127.0.0.1', '::1']).toContain(refused.address);
    expect(endpoint.connections).toBe(0);
  });

  it('delivers when egress.allow names the address, the host, or the endpoint allows it', async () => {
    const endpoint = await receiver();
    await sinkFor(endpoint.url, { deny: ['private'], allow: ['127.0.0.1'] }).sink.write(event('a'));
    await sinkFor(endpoint.url.replace('127.0.0.1', 'localhost'), { deny: ['private'], allow: ['localhost'] }).sink.write(event('b'));
    await sinkFor(endpoint.url, PRIVATE, { endpointAllow: ['127.0.0.0/8'] }).sink.write(event('c'));
    expect(endpoint.requests.map((request) => JSON.parse(request.body).events[0].id)).toStrictEqual(['a', 'b', 'c']);
  });

  it('refuses loopback however the URL spells it (hex, a single number, a short form)', async () => {
    const endpoint = await receiver();
    for (const host of ['0x7f.0.0.1', '2130706433', '127.1']) {
      const refused = await refusal(sinkFor(endpoint.url.replace('127.0.0.1', host), PRIVATE).sink.write(event('a')));
      expect(refused.address).toBe('127.0.0.1');
    }
    expect(endpoint.connections).toBe(0);
  });

  it('refuses a CIDR of its own and names it', async () => {
    const endpoint = await receiver();
    const refused = await refusal(sinkFor(endpoint.url, { deny: ['127.0.0.0/30'], allow: [] }).sink.write(event('a')));
    expect(refused.rule).toBe('egress.deny: 127.0.0.0/30');
    expect(endpoint.connections).toBe(0);
  });

  it('judges an IPv4-mapped IPv6 address as the IPv4 address it carries', async () => {
    const endpoint = await receiver();
    const mapped = endpoint.url.replace('127.0.0.1', '[::ffff:127.0.0.1]');
    const hex = endpoint.url.replace('127.0.0.1', '[::ffff:7f00:1]');
    for (const url of [mapped, hex]) {
      const refused = await refusal(sinkFor(url, PRIVATE).sink.write(event('a')));
      expect(refused.rule).toBe('egress.deny: private (127.0.0.0/8)');
    }
    expect(endpoint.connections).toBe(0);
    // Without the deny, the same URL reaches the IPv4 receiver: the refusal was the policy's.
    await sinkFor(mapped, NONE).sink.write(event('b'));
    expect(endpoint.requests).toHaveLength(1);
  });
});

describe('always refused', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', 'the always-refused 169.254.0.0/16'],
    ['http://[::ffff:a9fe:a9fe]/latest/meta-data/', '::ffff:a9fe:a9fe', 'the always-refused 169.254.0.0/16'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe', 'the always-refused 169.254.0.0/16'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254', 'the always-refused fd00:ec2::254'],
    ['http://[fe80::1]/', 'fe80::1', 'the always-refused fe80::/10'],
  ])('refuses %s with no deny configured', async (url, address, rule) => {
    const { sink, errors } = sinkFor(url, NONE);
    const refused = await refusal(sink.write(event('a')));
    expect(refused.address).toBe(address);
    expect(refused.rule).toBe(rule);
    expect(errors).toHaveLength(1);
  });

  it('refuses a host name that resolves to the metadata address', async () => {
    const dns = await DnsServer.start(() => '169.254.169.254');
    cleanups.push(() => dns.close());
    const refused = await refusal(sinkFor('http://metadata.attacker.example/', NONE, { resolve: dns.resolve }).sink.write(event('a')));
    expect(refused.address).toBe('169.254.169.254');
    expect(dns.queries).toStrictEqual(['metadata.attacker.example']);
  });
});

describe('DNS rebinding', () => {
  it('connects only to the address it checked, when the answer changes from one query to the next', async () => {
    // The attacker's name alternates between a permitted address and a refused one.
    const allowed = await receiver({ host: '127.0.0.1' });
    const refusedReceiver = await receiver({ host: '127.0.0.2', port: allowed.port });
    const dns = await DnsServer.start((_name, query) => (query % 2 === 1 ? '127.0.0.1' : '127.0.0.2'));
    cleanups.push(() => dns.close());
    const egress: EgressConfig = { deny: ['private'], allow: ['127.0.0.1/32'] };
    const outcomes = { delivered: 0, refused: 0 };
    for (let attempt = 0; attempt < 6; attempt += 1) {
      // A fresh sink each time: no pooled socket, so every attempt resolves and connects anew.
      const { sink } = sinkFor(`http://rebind.attacker.example:${allowed.port}/hook`, egress, { resolve: dns.resolve });
      try {
        await sink.write(event(`e${attempt}`));
        outcomes.delivered += 1;
      } catch (error) {
        expect((await refusal(Promise.reject(error))).address).toBe('127.0.0.2');
        outcomes.refused += 1;
      }
      await sink.close();
    }
    expect(outcomes).toStrictEqual({ delivered: 3, refused: 3 });
    expect(dns.queries).toHaveLength(6);
    expect(allowed.requests).toHaveLength(3);
    expect(refusedReceiver.connections).toBe(0);
  });
});
