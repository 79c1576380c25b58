import type { BlobDescriptor, ManifestContent } from '../../src/index.js';
import { digestOf } from './memory-repository.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface TestImage {
  config: Uint8Array;
  layer: Uint8Array;
  /** Descriptors as the manifest lists them. */
  configDescriptor: BlobDescriptor;
  layerDescriptor: BlobDescriptor;
  manifest: ManifestContent;
  manifestDigest: string;
}

/** A one-layer OCI image whose content depends on `seed`. */
export function testImage(seed: string): TestImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const layer = Buffer.from(`layer of ${seed}`);
  const configDescriptor = { mediaType: OCI_CONFIG, size: config.byteLength, digest: digestOf(config) };
  const layerDescriptor = { mediaType: OCI_LAYER, size: layer.byteLength, digest: digestOf(layer) };
  const payload = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers: [layerDescriptor] }),
  );
  return {
    config,
    layer,
    configDescriptor,
    layerDescriptor,
    manifest: { mediaType: OCI_MANIFEST, payload },
    manifestDigest: digestOf(payload),
  };
}
