import { describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { compileRoutes, routingTable } from './routes.js';

const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

describe('routing table', () => {
  it('has the same version whatever the order of endpoints and filter entries', () => {
    const a = routingTable([
      { name: 'b', ignore: { mediaTypes: [LAYER, 'x'], actions: ['pull'] } },
      { name: 'a', ignore: { mediaTypes: [], actions: [] } },
    ]);
    const b = routingTable([
      { name: 'a', ignore: { mediaTypes: [], actions: [] } },
      { name: 'b', ignore: { mediaTypes: ['x', LAYER], actions: ['pull'] } },
    ]);
    expect(a).toStrictEqual(b);
    expect(a.routes.map((route) => route.name)).toStrictEqual(['a', 'b']);
  });

  it('changes version when a filter changes', () => {
    const before = routingTable([{ name: 'a', ignore: { mediaTypes: [], actions: [] } }]);
    const after = routingTable([{ name: 'a', ignore: { mediaTypes: [], actions: ['pull'] } }]);
    expect(after.version).not.toBe(before.version);
  });

  it('compiles each filter as the endpoint applies it', () => {
    const [route] = compileRoutes(routingTable([{ name: 'a', ignore: { mediaTypes: [LAYER], actions: ['pull'] } }]));
    const event = (action: string, mediaType?: string) => ({ id: 'e', timestamp: '', action, target: mediaType === undefined ? {} : { mediaType } }) as Event;
    expect([event('push'), event('pull'), event('push', LAYER), event('delete')].map(route!.accepts)).toStrictEqual([true, false, false, true]);
  });
});
