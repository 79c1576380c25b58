/**
 * `ingest.tokens`: named bearer tokens, `{ name: token }`. Read by load-config.ts itself,
 * not by convict: convict splits keys on dots, so a name such as `registry.eu`, which the
 * rule below allows, made it fail with an error naming no key.
 */

const TOKEN_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** What is wrong with a token map, never saying a token; undefined when nothing is. */
export function tokenMapProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be a map of names to tokens';
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return 'must be a map of names to tokens';
  for (const [name, token] of Object.entries(value)) {
    if (!TOKEN_NAME.test(name)) return 'names must be 1 to 64 letters, digits, ".", "_" or "-"';
    if (typeof token !== 'string' || token === '') return `token "${name}" must be a non-empty string`;
  }
  return undefined;
}

/** A token map from the environment: a JSON object (anything else is returned as is, to be refused). */
export function parseTokenMap(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
