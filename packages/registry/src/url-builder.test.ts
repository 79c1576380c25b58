import { describe, expect, it } from 'vitest';
import { urlBuilderFor } from './url-builder.js';

const DIGEST = 'sha256:4bfe6933d7070d2043d20579e20bd14e64caa7a56252df8178d873bc93606406';

describe('urlBuilderFor', () => {
  it('builds blob urls as distribution writes them', () => {
    expect(urlBuilderFor('http://127.0.0.1:5055').blobUrl('demo/hello', DIGEST)).toBe(
      `http://127.0.0.1:5055/v2/demo/hello/blobs/${DIGEST}`,
    );
  });

  it('builds manifest urls as distribution writes them', () => {
    expect(urlBuilderFor('http://127.0.0.1:5055').manifestUrl('demo/hello', DIGEST)).toBe(
      `http://127.0.0.1:5055/v2/demo/hello/manifests/${DIGEST}`,
    );
  });

  it('drops trailing slashes of the base url', () => {
    expect(urlBuilderFor('https://registry.example/').manifestUrl('a', 'v1')).toBe('https://registry.example/v2/a/manifests/v1');
    expect(urlBuilderFor('https://registry.example//').blobUrl('a', DIGEST)).toBe(`https://registry.example/v2/a/blobs/${DIGEST}`);
  });

  it('keeps a path prefix of the base url', () => {
    expect(urlBuilderFor('https://example.com/registry').blobUrl('a/b', DIGEST)).toBe(
      `https://example.com/registry/v2/a/b/blobs/${DIGEST}`,
    );
  });
});
