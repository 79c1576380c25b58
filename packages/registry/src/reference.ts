/**
 * A manifest reference is a tag or a digest. Digests read `algorithm:encoded`
 * (`sha256:4bfe…`) and tags never hold a colon (`[\w][\w.-]{0,127}`), so the colon
 * alone tells them apart, as distribution's reference grammar does.
 */
export function isDigest(reference: string): boolean {
  return reference.includes(':');
}

/** The tag a manifest was addressed by, or undefined when it was addressed by digest. */
export function tagOf(reference: string): string | undefined {
  return isDigest(reference) ? undefined : reference;
}
