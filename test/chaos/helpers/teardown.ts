import type { HeraldProcess } from '../../helpers/herald-process.js';
import { within } from './wait-until.js';

/**
 * Everything a scenario started, stopped in reverse order whatever happens, each step
 * bounded in time, so a failing scenario leaves no process, server or key behind.
 */
export class Teardown {
  readonly #steps: { name: string; run: () => Promise<unknown> }[] = [];

  /** Registers a step; steps run last-registered first. */
  add(name: string, run: () => Promise<unknown>): void {
    this.#steps.push({ name, run });
  }

  /** Stops a herald process (its pid): SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  addProcess(name: string, process: () => HeraldProcess | undefined, graceMs = 20_000): void {
    this.add(name, async () => {
      const herald = process();
      if (herald === undefined) return;
      try {
        await within(herald.stop('SIGTERM'), graceMs, `${name} did not exit on SIGTERM`);
      } finally {
        await herald.stop('SIGKILL');
      }
    });
  }

  /** Runs every step, each within `stepMs`; returns the errors (a test's own failure wins over them). */
  async run(stepMs = 30_000): Promise<string[]> {
    const errors: string[] = [];
    for (const step of this.#steps.reverse()) {
      try {
        await within(step.run(), stepMs, `teardown: ${step.name} hung`);
      } catch (error) {
        errors.push(`${step.name}: ${(error as Error).message}`);
      }
    }
    this.#steps.length = 0;
    return errors;
  }
}
