import type { Event } from '@herald/events';
import type { SeededRandom } from './seeded-random.js';

/** Media types the chaos events carry, so endpoints can filter on them. */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

const ACTION_MIX = [
  ['push', 45],
  ['pull', 35],
  ['mount', 10],
  ['delete', 10],
] as const;

const MEDIA_TYPE_MIX = [
  [MEDIA_TYPES.ociManifest, 40],
  [MEDIA_TYPES.ociIndex, 25],
  [MEDIA_TYPES.dockerManifest, 20],
  [MEDIA_TYPES.layer, 15],
] as const;

/** A registry event as distribution writes it, with a random action and media type. */
export function chaosEvent(id: string, random: SeededRandom): Event {
  const action = random.weighted(ACTION_MIX);
  const mediaType = random.weighted(MEDIA_TYPE_MIX);
  const repository = `chaos/app-${random.int(0, 9)}`;
  const digest = `sha256:${random.int(0, 2 ** 31).toString(16).padStart(64, '0')}`;
  const size = random.int(200, 40_000);
  return {
    id,
    timestamp: new Date().toISOString(),
    action,
    target: {
      mediaType,
      size,
      digest,
      length: size,
      repository,
      url: `http://registry.chaos.test/v2/${repository}/manifests/${digest}`,
      ...(action === 'push' ? { tag: `v${random.int(1, 99)}` } : {}),
      ...(action === 'mount' ? { fromRepository: 'chaos/base' } : {}),
    },
    request: { id: `req-${id}`, addr: '127.0.0.1:40000', host: 'registry.chaos.test', method: action === 'pull' ? 'GET' : 'PUT', useragent: 'chaos/1.0' },
    actor: { name: 'chaos' },
    source: { addr: 'registry-1:5000', instanceID: 'chaos-instance' },
  };
}

/** `count` events with ids `<prefix>-<n>`. */
export function chaosEvents(prefix: string, count: number, random: SeededRandom): Event[] {
  return Array.from({ length: count }, (_, n) => chaosEvent(`${prefix}-${n}`, random));
}

/** Splits events, in order, into envelopes of 1 to `maxSize` events. */
export function envelopesOf(events: readonly Event[], random: SeededRandom, maxSize: number): Event[][] {
  const envelopes: Event[][] = [];
  for (let n = 0; n < events.length; ) {
    const size = random.int(1, maxSize);
    envelopes.push(events.slice(n, n + size));
    n += size;
  }
  return envelopes;
}
