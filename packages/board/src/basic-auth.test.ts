import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { basicAuthHook, constantTimeEqual, credentialsMatch, parseBasicAuth } from './basic-auth.js';

const basic = (pair: string) => `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;

describe('parseBasicAuth', () => {
  it('reads the user and password of a Basic header', () => {
    expect(parseBasicAuth(basic('ops:s3cret'))).toStrictEqual({ username: 'ops', password: 's3cret' });
  });

  it('keeps colons after the first one in the password', () => {
    expect(parseBasicAuth(basic('ops:a:b:c'))).toStrictEqual({ username: 'ops', password: 'a:b:c' });
  });

  it('accepts the scheme in any case and an empty password', () => {
    expect(parseBasicAuth(`basic ${Buffer.from('ops:').toString('base64')}`)).toStrictEqual({ username: 'ops', password: '' });
  });

  it('decodes UTF-8', () => {
    expect(parseBasicAuth(basic('jörg:pässwörd'))).toStrictEqual({ username: 'jörg', password: 'pässwörd' });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['another scheme', 'Bearer abc'],
    ['no credentials', 'Basic'],
    ['not base64', 'Basic !!!'],
    ['no colon', basic('justauser')],
  ])('returns undefined when the header is %s', (_case, header) => {
    expect(parseBasicAuth(header)).toBeUndefined();
  });
});

describe('constantTimeEqual', () => {
  it('compares strings of any lengths', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('', 'x')).toBe(false);
  });
});

describe('credentialsMatch', () => {
  const expected = { username: 'ops', password: 's3cret' };
  it('matches only when both the user and the password are equal', () => {
    expect(credentialsMatch({ username: 'ops', password: 's3cret' }, expected)).toBe(true);
    expect(credentialsMatch({ username: 'ops', password: 'wrong' }, expected)).toBe(false);
    expect(credentialsMatch({ username: 'dev', password: 's3cret' }, expected)).toBe(false);
    expect(credentialsMatch({ username: 'OPS', password: 's3cret' }, expected)).toBe(false);
  });
});

describe('basicAuthHook', () => {
  async function app() {
    const server = Fastify({ logger: false });
    server.addHook('onRequest', basicAuthHook({ username: 'ops', password: 's3cret' }));
    server.get('/', async () => ({ ok: true }));
    await server.ready();
    return server;
  }

  it('lets a request with the right credentials through', async () => {
    const server = await app();
    const response = await server.inject({ url: '/', headers: { authorization: basic('ops:s3cret') } });
    expect(response.statusCode).toBe(200);
    await server.close();
  });

  it('answers 401 with a Basic challenge and a JSON body otherwise', async () => {
    const server = await app();
    for (const authorization of [undefined, basic('ops:wrong'), basic('dev:s3cret'), 'Bearer s3cret']) {
      const response = await server.inject({ url: '/', headers: authorization === undefined ? {} : { authorization } });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Basic realm="Herald board"');
      expect(response.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
    }
    await server.close();
  });
});
