import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParameters, fuzzTimeout } from '../../../test/helpers/fuzz-runs.js';
import { idListDigest } from './id-digest.js';
import { envelopeJobId } from './ingress-queue.js';

/** How ids were hashed before idListDigest: kept here to prove plain lists hash the same. */
function legacyDigest(ids: readonly string[], form: 'terminated' | 'joined'): Buffer {
  const hash = createHash('sha256');
  if (form === 'terminated') for (const id of ids) hash.update(id).update('\n');
  else hash.update(ids.join('\n'), 'utf8');
  return hash.digest();
}

const FORMS = ['terminated', 'joined'] as const;

/** Ids made of the characters that made lists collide: line breaks, lone surrogates, U+FFFD, JSON's punctuation. */
const trickyId = fc.string({ unit: fc.constantFrom('a', 'b', '\n', '\uD800', '\uDC00', '\uFFFD', '[', ']', '"', ',', '\\'), maxLength: 6 });
const anyId = fc.oneof(trickyId, fc.string({ unit: 'binary', maxLength: 8 }));
const plainId = fc.string({ unit: 'binary', maxLength: 40 }).filter((id) => !id.includes('\n') && !/\p{Cs}/u.test(id));

/** A list and another made from it so that the old hashing would often confuse them. */
const confusablePair = fc.tuple(fc.array(anyId, { maxLength: 5 }), fc.nat({ max: 3 })).map(([ids, how]): [string[], string[]] => {
  const joined = ids.join('\n');
  if (how === 0) return [ids, joined.split('\n')];
  if (how === 1) return [ids, ids.map((id) => id.replace(/\p{Cs}/gu, '\uFFFD'))];
  if (how === 2) return [ids, [joined]];
  return [ids, [...ids.slice(1), ...ids.slice(0, 1)]];
});

describe('idListDigest', () => {
  it('hashes two different lists differently', () => {
    const pairs = fc.oneof(confusablePair, fc.tuple(fc.array(anyId, { maxLength: 5 }), fc.array(anyId, { maxLength: 5 })));
    fc.assert(
      fc.property(pairs, fc.constantFrom(...FORMS), ([a, b], form) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(idListDigest(a, form).equals(idListDigest(b, form))).toBe(false);
      }),
      fuzzParameters(0.06),
    );
  }, fuzzTimeout(0.06, 1));

  it('hashes lists of plain ids as before, so that stored ids keep their meaning', () => {
    fc.assert(
      fc.property(fc.array(plainId, { maxLength: 6 }), fc.constantFrom(...FORMS), (ids, form) => {
        fc.pre(form === 'terminated' || ids[0] !== '');
        expect(idListDigest(ids, form).toString('hex')).toBe(legacyDigest(ids, form).toString('hex'));
      }),
      fuzzParameters(0.04),
    );
  }, fuzzTimeout(0.04, 1));

  it('keeps the envelope ids already issued', () => {
    expect(envelopeJobId([{ id: 'a' }, { id: 'b' }])).toBe('kRFp3arxRq_1OfWMJsSJrw');
    expect(envelopeJobId([{ id: '418a5841-897e-463e-af00-b7e8df57a0a6' }])).toBe('1jTKE8SsJYbbVauv7yZ30A');
  });

  it.each([
    // Each pair shared one envelope id: the second envelope was dropped as a duplicate of the first.
    ['an id holding a line break', ['a\nb'], ['a', 'b']],
    ['a lone surrogate', ['\uD800'], ['\uFFFD']],
    ['a trailing line break', ['a\n'], ['a', '']],
  ])('gives envelopes that differ by %s different ids', (_name, a, b) => {
    const ids = (list: string[]) => envelopeJobId(list.map((id) => ({ id })));
    expect(ids(a)).not.toBe(ids(b));
  });
});
