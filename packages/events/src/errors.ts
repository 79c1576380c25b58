/**
 * Every Herald error extends HeraldError: a literal `name` to branch on, a stable
 * `code` to grep for, and the underlying error as `cause`. Messages never carry
 * secrets: no header values, tokens or URLs with credentials.
 */
export abstract class HeraldError extends Error {
  abstract override readonly name: string;
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A write or close on a sink that was closed. Terminal: retrying cannot help. */
export class SinkClosedError extends HeraldError {
  override readonly name = 'SinkClosedError';
  readonly code = 'HERALD_ERR_SINK_CLOSED';

  constructor(sink = 'sink') {
    super(`${sink} is closed`);
  }
}

/** One thing wrong with an envelope: where (`events[0].target.size`) and why. */
export interface ValidationProblem {
  /** JSON path of the offending value; `$` is the envelope itself. */
  readonly path: string;
  readonly reason: string;
}

/** An untrusted envelope or event failed validation; maps to HTTP 400. */
export class EnvelopeValidationError extends HeraldError {
  override readonly name = 'EnvelopeValidationError';
  readonly code = 'HERALD_ERR_INVALID_ENVELOPE';
  /** Every problem found, not just the first. */
  readonly problems: readonly ValidationProblem[];
  /** Path of the first problem, for callers that report a single field. */
  readonly field: string;

  constructor(problems: readonly ValidationProblem[]) {
    const first = problems[0] ?? { path: '$', reason: 'is invalid' };
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(`invalid envelope: ${first.path} ${first.reason}${more}`);
    this.problems = problems;
    this.field = first.path;
  }
}
