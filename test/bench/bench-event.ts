import type { Event } from '@herald/events';

/** Media type of every envelope the benchmark sends, as distribution 2.x and GitLab send it. */
export const BENCH_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

const DIGEST = 'sha256:812b0aad7519d739f876b9e130be60a9e2266b673a0b3c02532514d626d3a519';

/**
 * A typical registry event: a manifest push with its references, as docker/distribution
 * 2.8.2 sent it while skopeo pushed an image (shared/fixtures, `push-v1`). About 1 KB of
 * JSON (1,002 bytes with a 36-character id); only the id differs between events.
 */
export function benchEvent(id: string): Event {
  return {
    id,
    timestamp: '2026-11-28T02:15:00.169713089Z',
    action: 'push',
    target: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 401,
      digest: DIGEST,
      length: 401,
      repository: 'demo/hello',
      url: `http://127.0.0.1:5055/v2/demo/hello/manifests/${DIGEST}`,
      tag: 'v1',
      references: [
        { mediaType: 'application/vnd.oci.image.config.v1+json', size: 231, digest: 'sha256:c8c5109d8f08c3bcbc713c1629b2631a619fae04b1ca2816040e0e7df512c9a3' },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 177, digest: 'sha256:4bfe6933d7070d2043d20579e20bd14e64caa7a56252df8178d873bc93606406' },
      ],
    },
    request: { id: 'd1f2336c-fc4d-40bd-9bc2-82897935624b', addr: '127.0.0.1:58982', host: '127.0.0.1:5055', method: 'PUT', useragent: 'skopeo/1.9.3' },
    actor: {},
    source: { addr: 'vm:5055', instanceID: 'a0e347f2-9ce7-4c0c-bbad-58be4942aa89' },
  } as Event;
}

/**
 * Event ids of one measurement: `<run>-<n>`, 36 characters like a UUID, so the
 * envelope keeps the fixture's size and ids never repeat across runs (Herald
 * deduplicates repeated ids for ten minutes).
 */
export function eventIds(run: string): (n: number) => string {
  const head = run.slice(0, 23);
  return (n) => `${head}-${String(n).padStart(36 - head.length - 1, '0')}`;
}

/** Size in bytes of one benchmark event as compact JSON. */
export const BENCH_EVENT_BYTES = Buffer.byteLength(JSON.stringify(benchEvent('00000000-0000-0000-0000-000000000000')));
