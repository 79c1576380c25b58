import { describe, expect, it } from 'vitest';
import { routingTable } from '@herald/producer';
import { loadConfig } from '@herald/config';
import { batchingOf, formatAge, routesLine } from './status.js';

const table = (...names: string[]) => routingTable(names.map((name) => ({ name, ignore: { mediaTypes: [], actions: [] } })));

describe('the maxbatch column of herald status', () => {
  it('shows 1 for one event per request, maxbatch and maxbatchbytes when batching, and - for an endpoint not in the config', () => {
    const endpoints = [
      { name: 'one', url: 'http://127.0.0.1:9/' },
      { name: 'bulk', url: 'http://127.0.0.1:9/', maxbatch: 32 },
      { name: 'small', url: 'http://127.0.0.1:9/', maxbatch: 8, maxbatchbytes: '256KiB' },
    ];
    const config = loadConfig({ env: { HERALD_ENDPOINTS: JSON.stringify(endpoints) } });
    expect(config.endpoints.map(batchingOf)).toStrictEqual(['1', '32 ≤1MiB', '8 ≤256KiB']);
    expect(batchingOf(undefined)).toBe('-');
  });
});

describe('the routes line of herald status', () => {
  it('says when no worker has published routes', () => {
    expect(routesLine(undefined, ['a'])).toBe('routes: none published yet; events wait in the ingress queue until a worker starts');
  });

  it('lists the routed endpoints when they are the config', () => {
    const routes = table('a', 'b');
    expect(routesLine(routes, ['b', 'a'])).toBe(`routes ${routes.version}: a, b`);
  });

  it('names the endpoints the routes lack and those the config lacks', () => {
    const routes = table('a', 'old');
    expect(routesLine(routes, ['a', 'new'])).toBe(`routes ${routes.version}: a, old; not routed yet: new (start a worker with this config); routed but not in this config: old`);
  });
});

describe('the oldest column of herald status', () => {
  it('shows the age of the oldest pending delivery in the largest units that keep it short', () => {
    expect([0, 59_999, 60_000, 252_400, 3_599_999, 3_600_000, 11_100_000, 172_799_999, 172_800_000, 273_600_000].map(formatAge)).toStrictEqual([
      '0s', '59s', '1m00s', '4m12s', '59m59s', '1h00m', '3h05m', '47h59m', '2d00h', '3d04h',
    ]);
  });
});
