import { HeraldError } from '@herald/events';

/** One thing wrong with a configuration: the key path as the operator wrote it, and why. */
export interface ConfigProblem {
  /** Key path, e.g. `endpoints[2].url` or `notifications.endpoints[0].timeout`. */
  readonly key: string;
  /** What is wrong, never the offending value (it may be a secret). */
  readonly reason: string;
}

/**
 * A configuration that Herald refuses to start with. `problems` lists every problem,
 * one per line in `message`; `key` and `reason` are the first one's.
 */
export class ConfigError extends HeraldError {
  override readonly name = 'ConfigError';
  readonly code = 'HERALD_ERR_CONFIG';
  readonly problems: readonly ConfigProblem[];
  readonly key: string;
  readonly reason: string;

  constructor(problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super(problems.map((problem) => `${problem.key}: ${problem.reason}`).join('\n'), options);
    this.problems = problems;
    this.key = problems[0]?.key ?? '';
    this.reason = problems[0]?.reason ?? '';
  }
}
