import type { WorkerHeartbeat } from '@margin/contracts';

/** Items a worker process holds per model slot: one at the model, one claimed and ready to take the slot when it frees. */
export const PREFETCH_FACTOR = 2;

/**
 * Items kept in Bull beyond what the workers hold, per model slot: enough that a process finishing an item
 * finds the next one waiting even when many finish at once (a Bull queue that runs dry puts its consumers on
 * one blocking connection, and throughput falls). It costs a new tenant nothing: its first item goes ahead of
 * this buffer, and a high-priority one goes ahead by Bull's own priority order.
 */
export const LOOKAHEAD_BUFFER = 2;

/**
 * How many items the fair queue keeps in Bull at once: what every live worker of the analysis queue holds
 * (WORKER_CONCURRENCY × PREFETCH_FACTOR) plus LOOKAHEAD_BUFFER × their slots. 0 without workers: items wait
 * in the fair queue, where later submissions can still be served fairly, until a worker comes.
 */
export function lookaheadFor(workers: ReadonlyArray<Pick<WorkerHeartbeat, 'concurrency' | 'queues'>>, queue: string): number {
  let held = 0;
  let slots = 0;
  for (const w of workers) {
    if (!w.queues.includes(queue)) continue;
    const concurrency = Number.isInteger(w.concurrency) && w.concurrency > 0 ? w.concurrency : 1;
    held += concurrency * PREFETCH_FACTOR;
    slots += concurrency;
  }
  return slots === 0 ? 0 : held + Math.max(1, Math.ceil(slots * LOOKAHEAD_BUFFER));
}

/** Items the live workers of `queue` run at once (their WORKER_CONCURRENCY summed). */
export function slotsOf(workers: ReadonlyArray<Pick<WorkerHeartbeat, 'concurrency' | 'queues'>>, queue: string): number {
  return workers.filter((w) => w.queues.includes(queue)).reduce((n, w) => n + (Number.isInteger(w.concurrency) && w.concurrency > 0 ? w.concurrency : 1), 0);
}
