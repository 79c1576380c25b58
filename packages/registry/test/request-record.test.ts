import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestRecord } from '@herald/events';
import { afterEach, describe, expect, it } from 'vitest';
import { requestRecordOf } from '../src/index.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** Serves one request on a local port and returns its record. */
async function recordOf(init: RequestInit): Promise<RequestRecord> {
  let record: RequestRecord | undefined;
  server = createServer((request: IncomingMessage, response) => {
    record = requestRecordOf(request, 'req-1');
    response.end();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/v2/demo/hello/manifests/v1`, init);
  await response.arrayBuffer();
  return { ...record!, port };
}

describe('requestRecordOf over real HTTP', () => {
  it('records the peer address, host, method and user agent', async () => {
    const { port, ...record } = await recordOf({ method: 'HEAD', headers: { 'user-agent': 'skopeo/1.9.3' } });
    expect(record).toEqual({
      id: 'req-1',
      addr: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      host: `127.0.0.1:${port}`,
      method: 'HEAD',
      useragent: 'skopeo/1.9.3',
    });
  });
});
