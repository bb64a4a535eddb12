/**
 * The items of one worker process that may be at the model at once (WORKER_CONCURRENCY). The queue hands the
 * process more items than that, so the next ones are claimed and looked up in the cache while the model works,
 * and one starts the moment a slot frees. A freed slot goes to the waiter of the highest queue priority (lower
 * number first); among those, to the tenant holding the fewest slots here, then by arrival: a new tenant's
 * item does not wait behind the items another tenant already has in hand (the fair queue decides each
 * tenant's share of what arrives; this only decides the order of what has arrived).
 */
export class RunSlots {
  private free: number;
  private readonly waiters: Array<{ priority: number; tenant: string; grant: () => void }> = [];
  private readonly held = new Map<string, number>();

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots must be a positive integer, got ${size}`);
    this.free = size;
  }

  /** Resolves with a release function once a slot is held; `waited` tells whether the caller had to queue. */
  async acquire(priority: number, tenant = ''): Promise<{ release: () => void; waited: boolean }> {
    let waited = false;
    if (this.free > 0) {
      this.free--;
      this.hold(tenant, 1);
    } else {
      waited = true;
      await new Promise<void>((grant) => this.waiters.push({ priority, tenant, grant }));
    }
    let released = false;
    return {
      waited,
      release: () => {
        if (released) return;
        released = true;
        this.hold(tenant, -1);
        const next = this.next();
        // The slot passes straight to the next waiter.
        if (next) {
          this.hold(next.tenant, 1);
          next.grant();
        } else this.free++;
      },
    };
  }

  get waiting(): number {
    return this.waiters.length;
  }

  private next(): { tenant: string; grant: () => void } | undefined {
    let best = -1;
    for (let i = 0; i < this.waiters.length; i++) {
      if (best < 0) {
        best = i;
        continue;
      }
      const w = this.waiters[i] as (typeof this.waiters)[number];
      const b = this.waiters[best] as (typeof this.waiters)[number];
      if (w.priority < b.priority || (w.priority === b.priority && (this.held.get(w.tenant) ?? 0) < (this.held.get(b.tenant) ?? 0))) best = i;
    }
    return best < 0 ? undefined : this.waiters.splice(best, 1)[0];
  }

  private hold(tenant: string, delta: number): void {
    const n = (this.held.get(tenant) ?? 0) + delta;
    if (n <= 0) this.held.delete(tenant);
    else this.held.set(tenant, n);
  }
}
