/**
 * Group commit for hot-path writes: callers add one row each and get a promise that settles when the
 * statement carrying it has committed. A batch is written as soon as the writer is free (the next turn of the
 * event loop when idle), so an idle system adds no delay and a busy one writes many rows per statement.
 * A failed batch is tried again a few times (deadlocks, dropped connections), then every caller in it is
 * rejected: nothing is reported as written that was not.
 */
import { setTimeout } from 'node:timers/promises';

export interface GroupCommitOptions {
  /** Most rows per write. */
  maxBatch: number;
  /** Writes in flight at once (each gets its own batch). */
  parallel?: number;
  /** Extra attempts for a failed batch. */
  retries?: number;
  /** Pause before a retry. */
  retryDelayMs?: number;
}

interface Pending<T, R> {
  row: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  private queue: Array<Pending<T, R>> = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly idle: Array<() => void> = [];

  constructor(
    /** Writes the rows in one go; returns one result per row, in order. */
    private readonly write: (rows: T[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  add(row: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every row added so far is written (or rejected). */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= (this.options.parallel ?? 1)) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startBatch();
    });
  }

  private startBatch(): void {
    while (this.queue.length > 0 && this.inFlight < (this.options.parallel ?? 1)) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
        else if (this.inFlight === 0) for (const done of this.idle.splice(0)) done();
      });
    }
  }

  private async run(batch: Array<Pending<T, R>>): Promise<void> {
    const rows = batch.map((p) => p.row);
    for (let attempt = 0; ; attempt++) {
      try {
        const results = await this.write(rows);
        if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} rows`);
        batch.forEach((p, i) => p.resolve(results[i] as R));
        return;
      } catch (err) {
        if (attempt >= (this.options.retries ?? 2)) {
          for (const p of batch) p.reject(err);
          return;
        }
        await setTimeout((this.options.retryDelayMs ?? 20) * (attempt + 1));
      }
    }
  }
}
