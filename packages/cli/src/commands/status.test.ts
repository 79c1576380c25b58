import { describe, expect, it } from 'vitest';
import { routingTable } from '@herald/producer';
import { routesLine } from './status.js';

const table = (...names: string[]) => routingTable(names.map((name) => ({ name, ignore: { mediaTypes: [], actions: [] } })));

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
