import { createHash } from 'node:crypto';

/**
 * SHA-256 of a list of ids (event ids, an endpoint name) that no two different lists
 * share. Every id a registry sends is plain — no line break, no lone surrogate — and plain
 * lists hash exactly as Herald always hashed them, so ids already issued and stored (job
 * ids, `webhook-id`s) keep their meaning. Before, a line break inside an id made `["a\nb"]`
 * hash as `["a", "b"]`, and UTF-8 made a lone surrogate hash as U+FFFD: two envelopes
 * shared one id and the second was dropped as a duplicate. A list that is not plain now
 * hashes as JSON, which the plain form can never be.
 *
 * `terminated`: each id followed by a line break (envelopeJobId): that form is empty or
 * ends with one, JSON ends with `]`. `joined`: ids joined by line breaks (webhookIdOf): that
 * form never starts with one when the first id is not empty, the JSON form always does.
 */
export function idListDigest(ids: readonly string[], form: 'terminated' | 'joined'): Buffer {
  const hash = createHash('sha256');
  const plain = ids.every(isPlain) && (form === 'terminated' || ids[0] !== '');
  if (!plain) hash.update(form === 'terminated' ? JSON.stringify(ids) : `\n${JSON.stringify(ids)}`);
  else if (form === 'terminated') for (const id of ids) hash.update(id).update('\n');
  else hash.update(ids.join('\n'), 'utf8');
  return hash.digest();
}

/** A lone surrogate: in `u` mode a paired one is read as one code point and does not match. */
const LONE_SURROGATE = /\p{Cs}/u;

function isPlain(id: string): boolean {
  return !id.includes('\n') && !LONE_SURROGATE.test(id);
}
