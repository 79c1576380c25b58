import type { Job, Worker } from 'bullmq';
import type { DeliveryJobData } from '@herald/producer';

type DeliveryJob = Job<DeliveryJobData>;

/**
 * Renews the locks of the deliveries a batch took while it is out (BullMQ renews only the
 * job it handed to the processor), and remembers those whose lock was lost: BullMQ has given
 * them back to the queue, so the batch must not settle them.
 */
export class BatchLocks {
  /** Ids whose lock could not be renewed. */
  readonly lost = new Set<string>();
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(worker: Worker<DeliveryJobData>, jobs: readonly DeliveryJob[], token: string, lockDurationMs: number, onLost: (error: unknown, ids: string[]) => void) {
    if (jobs.length === 0) return;
    const ids = jobs.map((job) => job.id!);
    this.#timer = setInterval(() => {
      const held = ids.filter((id) => !this.lost.has(id));
      worker.extendJobLocks(held, held.map(() => token), lockDurationMs).then(
        (failed) => {
          for (const id of failed) this.lost.add(id);
          if (failed.length > 0) onLost(undefined, failed);
        },
        (error: unknown) => onLost(error, held),
      );
    }, lockDurationMs / 2);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
