import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A small OCI image layout on disk, ready for `skopeo copy oci:<layout>:<tag> ...`. */
export interface OciImage {
  /** The layout directory (holds `oci-layout`, `index.json`, `blobs/sha256/`). */
  readonly layout: string;
  readonly tag: string;
  readonly manifest: Descriptor;
  readonly config: Descriptor;
  readonly layer: Descriptor;
}

/** An OCI descriptor: what a manifest or index says about a blob. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

async function sha256sum(file: string): Promise<string> {
  const { stdout } = await run('sha256sum', [file]);
  return `sha256:${stdout.split(' ')[0]!}`;
}

/**
 * Builds an OCI image layout in `dir` with the system's own tools, nothing downloaded:
 * one layer (a tar of `files`, made reproducible, then `gzip -n`), a config naming the
 * layer's diff id, a manifest, `index.json` tagging it and `oci-layout`. Digests come
 * from `sha256sum`.
 */
export async function buildOciImage(dir: string, tag: string, files: Record<string, string>): Promise<OciImage> {
  const rootfs = join(dir, 'rootfs');
  const layout = join(dir, 'layout');
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(rootfs, { recursive: true });
  mkdirSync(blobs, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(rootfs, name), text);

  const tarFile = join(dir, 'layer.tar');
  await run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', rootfs, '-cf', tarFile, ...Object.keys(files)]);
  await run('gzip', ['-n', '-9', '-k', tarFile]);
  const gzFile = `${tarFile}.gz`;

  async function addBlob(file: string, mediaType: string): Promise<Descriptor> {
    const digest = await sha256sum(file);
    copyFileSync(file, join(blobs, digest.slice('sha256:'.length)));
    return { mediaType, digest, size: statSync(file).size };
  }

  const layer = await addBlob(gzFile, OCI_LAYER_GZIP);
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/cat', `/${Object.keys(files)[0] ?? ''}`] },
      rootfs: { type: 'layers', diff_ids: [await sha256sum(tarFile)] },
    }),
  );
  const config = await addBlob(configFile, OCI_CONFIG);
  const manifestFile = join(dir, 'manifest.json');
  writeFileSync(manifestFile, JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] }));
  const manifest = await addBlob(manifestFile, OCI_MANIFEST);
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }] }),
  );
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { layout, tag, manifest, config, layer };
}
