import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Event } from '@herald/events';
import { EventCodecError } from './errors.js';

/**
 * How a pending delivery keeps its events in Redis: the JSON of the event list, deflated
 * with a preset dictionary of what every registry event repeats (field names, media types,
 * actions), base64 in the job's data. A 1,002-byte push event takes about a third of that.
 *
 * The first byte of the deflated form is the codec version. Version 1's dictionary is a wire
 * format: once a release has stored events with it, it never changes; a better dictionary
 * is version 2, and every release keeps decoding the versions before it.
 */

/** Codec version 1: raw deflate with DICTIONARY_V1. */
const CODEC_V1 = 1;

/**
 * What registry events repeat, least frequent first: deflate reaches the end of the
 * dictionary with the shortest distances. Built from docker/distribution's and GitLab's
 * event shape (docs/events.md); it never holds data of any one event.
 */
const DICTIONARY_V1 = Buffer.from(
  [
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.image.rootfs.diff.tar.gzip',
    'application/vnd.docker.container.image.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
    '"meta":{"project_path":"',
    '"user_type":"',
    '"action":"rename"',
    '"fromRepository":"',
    '"action":"mount"',
    '"action":"delete"',
    '"action":"pull","target":{',
    'containerd/',
    'docker/',
    'Go-http-client/1.1',
    '/blobs/sha256:',
    '"method":"GET","useragent":"',
    '"method":"HEAD","useragent":"',
    '"actor":{"name":"',
    '"artifactType":"',
    '"annotations":{',
    '"platform":{"architecture":"amd64","os":"linux"}',
    'application/vnd.oci.image.layer.v1.tar+gzip',
    '"references":[{"mediaType":"application/vnd.oci.image.config.v1+json","size":',
    '"tag":"latest"',
    '"length":',
    ',"digest":"sha256:',
    '/manifests/sha256:',
    '"url":"https://',
    '"url":"http://',
    '/v2/',
    '"repository":"',
    '"method":"PUT","useragent":"',
    '"request":{"id":"',
    '","addr":"',
    '","host":"',
    '"},"actor":{},"source":{"addr":"',
    '","instanceID":"',
    '"tag":"',
    '"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":',
    '[{"id":"',
    '","timestamp":"20',
    'Z","action":"',
  ].join(''),
);

/** Encodes events for a delivery job: versioned, deflated, base64. */
export function encodeEvents(events: readonly Event[]): string {
  const deflated = deflateRawSync(JSON.stringify(events), { dictionary: DICTIONARY_V1 });
  const encoded = Buffer.allocUnsafe(deflated.length + 1);
  encoded[0] = CODEC_V1;
  deflated.copy(encoded, 1);
  return encoded.toString('base64');
}

/** Decodes what encodeEvents made (any codec version this release knows). */
export function decodeEvents(encoded: string): Event[] {
  return decodeSizedEvents(encoded).events;
}

/** Decodes what encodeEvents made, with the size of the events as JSON (an array), in bytes. */
export function decodeSizedEvents(encoded: string): { events: Event[]; jsonBytes: number } {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes[0] !== CODEC_V1) throw new EventCodecError(`unknown event codec version ${bytes[0]}: a newer Herald wrote this delivery`);
  try {
    const json = inflateRawSync(bytes.subarray(1), { dictionary: DICTIONARY_V1 });
    return { events: JSON.parse(json.toString('utf8')) as Event[], jsonBytes: json.length };
  } catch (error) {
    throw new EventCodecError(`damaged delivery data: ${(error as Error).message}`);
  }
}
