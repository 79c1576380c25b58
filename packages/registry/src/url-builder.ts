/** Builds the URLs events carry in `target.url`; distribution's `URLBuilder`. */
export interface UrlBuilder {
  /** URL of a manifest; the bridge always passes a digest, as distribution does. */
  manifestUrl(repo: string, reference: string): string;
  /** URL of a blob. */
  blobUrl(repo: string, digest: string): string;
}

/**
 * Builds URLs under a registry's base URL the way distribution writes them:
 * `${base}/v2/${repo}/manifests/${reference}` and `${base}/v2/${repo}/blobs/${digest}`,
 * e.g. `http://127.0.0.1:5055/v2/demo/hello/blobs/sha256:4bfe…`. Trailing slashes of
 * the base are dropped; repository names and digests go in as they are, since their
 * grammar holds no character a URL path must escape.
 */
export function urlBuilderFor(baseUrl: string): UrlBuilder {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    manifestUrl: (repo, reference) => `${base}/v2/${repo}/manifests/${reference}`,
    blobUrl: (repo, digest) => `${base}/v2/${repo}/blobs/${digest}`,
  };
}
