/**
 * The items of one worker process that may be at the model at once (WORKER_CONCURRENCY). The queue hands the
 * process more items than that, so the next ones are claimed and looked up in the cache while the model works,
 * and one starts the moment a slot frees. Waiters go by queue priority (lower first), then arrival.
 */
export class RunSlots {
  private free: number;
  private readonly waiters: Array<{ priority: number; grant: () => void }> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots must be a positive integer, got ${size}`);
    this.free = size;
  }

  /** Resolves with a release function once a slot is held; `waited` tells whether the caller had to queue. */
  async acquire(priority: number): Promise<{ release: () => void; waited: boolean }> {
    let waited = false;
    if (this.free > 0) this.free--;
    else {
      waited = true;
      await new Promise<void>((grant) => {
        const waiter = { priority, grant };
        const at = this.waiters.findIndex((w) => w.priority > priority);
        if (at < 0) this.waiters.push(waiter);
        else this.waiters.splice(at, 0, waiter);
      });
    }
    let released = false;
    return {
      waited,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        // The slot passes straight to the next waiter.
        if (next) next.grant();
        else this.free++;
      },
    };
  }

  get waiting(): number {
    return this.waiters.length;
  }
}
