import { createHash } from 'node:crypto';
import type { Event } from '@herald/events';

const USER_AGENT = 'docker/27.3.1 go/go1.22.7 git-commit/41ca978 kernel/6.8.0-45-generic os/linux arch/amd64 UpstreamClient(Docker-Client/27.3.1 \\(linux\\))';

function hex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * A push event as distribution writes it for a manifest, with every field a registry
 * fills: about 1 KB of JSON (`typicalEventBytes`). `id` must be unique per event.
 */
export function typicalEvent(id: string, n: number): Event {
  const digest = `sha256:${hex(id, 64)}`;
  const repository = `team-${n % 50}/service-${n % 7}`;
  return {
    id,
    timestamp: new Date().toISOString(),
    action: 'push',
    target: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 7143,
      digest,
      length: 7143,
      repository,
      url: `https://registry.example.com/v2/${repository}/manifests/${digest}`,
      tag: `v1.${n}.0-build.${hex(`${id}tag`, 12)}`,
      references: [{ mediaType: 'application/vnd.oci.image.config.v1+json', size: 1469, digest: `sha256:${hex(`${id}config`, 64)}` }],
    },
    request: { id: `${hex(`${id}req`, 8)}-${hex(`${id}req2`, 4)}-4${hex(`${id}r3`, 3)}-8${hex(`${id}r4`, 3)}-${hex(`${id}r5`, 12)}`, addr: '10.42.7.19:51234', host: 'registry.example.com', method: 'PUT', useragent: USER_AGENT },
    actor: { name: 'ci-deployer' },
    source: { addr: 'registry-0.registry.svc.cluster.local:5000', instanceID: `${hex(`${n % 3}`, 8)}-${hex(`${n % 3}b`, 4)}-4${hex(`${n % 3}c`, 3)}-a${hex(`${n % 3}d`, 3)}-${hex(`${n % 3}e`, 12)}` },
  };
}

/** Bytes of JSON of a typical event (what one event adds to an envelope). */
export function typicalEventBytes(): number {
  return Buffer.byteLength(JSON.stringify(typicalEvent('00000000-0000-7000-8000-000000000000', 12345)));
}
