/**
 * Go duration strings, as distribution's config.yml writes them: "500ms", "1s",
 * "1m30s", "1.5h", "300us". Parsed the way Go's `time.ParseDuration` does.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's longest duration, 2^63 - 1 ns (2562047h47m16.854775807s), in ms. */
const GO_MAX_DURATION_MS = 9_223_372_036_854.775807;

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Thrown when a duration string cannot be parsed; `message` is the reason. */
export class DurationSyntaxError extends Error {
  override readonly name = 'DurationSyntaxError';
}

/**
 * Parses a Go duration string into milliseconds (fractional below 1ms).
 * Throws DurationSyntaxError for text Go would reject, and for negative durations,
 * which no Herald setting accepts.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0' || trimmed === '+0' || trimmed === '-0') return 0;
  if (trimmed.startsWith('-')) throw new DurationSyntaxError('must not be negative');
  const body = trimmed.startsWith('+') ? trimmed.slice(1) : trimmed;
  if (body === '') throw new DurationSyntaxError('must be a duration such as "500ms", "1s" or "1m30s"');
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < body.length) {
    const start = PART.lastIndex;
    const match = PART.exec(body);
    if (match === null || match.index !== start) {
      throw new DurationSyntaxError('must be a duration such as "500ms", "1s" or "1m30s" (units: ns, us, ms, s, m, h)');
    }
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  // Hundreds of digits make Infinity, which no setting can use; past Go's longest duration,
  // a retry's next-attempt date cannot even be written.
  if (!Number.isFinite(total)) throw new DurationSyntaxError('is too long');
  if (total > GO_MAX_DURATION_MS) throw new DurationSyntaxError('is too long: at most 2562047h (about 292 years), as in Go');
  return total;
}

/** Formats milliseconds as a Go duration string ("1m30s", "500ms"), for messages and printed config. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let rest = ms;
  let text = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000]] as const) {
    const whole = Math.floor(rest / size);
    if (whole > 0) text += `${whole}${unit}`;
    rest -= whole * size;
  }
  if (rest > 0 || text === '') text += `${rest / 1000}s`;
  return text;
}
