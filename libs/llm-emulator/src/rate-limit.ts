/**
 * Rate limiting (RPM/TPM token buckets) and parallel slots (FIFO queue), per model.
 */

export type Clock = () => number;

export interface BucketSnapshot {
  limit: number;
  /** whole units available now */
  remaining: number;
  /** milliseconds until the bucket is full again */
  resetMs: number;
}

/** A token bucket of `capacity` units refilled continuously at capacity per minute. */
export class TokenBucket {
  private level: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    private readonly now: Clock = Date.now,
    readonly periodMs = 60_000,
  ) {
    this.level = capacity;
    this.updatedAt = now();
  }

  private get ratePerMs(): number {
    return this.capacity / this.periodMs;
  }

  private refill(): void {
    const t = this.now();
    if (t > this.updatedAt) {
      this.level = Math.min(this.capacity, this.level + (t - this.updatedAt) * this.ratePerMs);
      this.updatedAt = t;
    }
  }

  snapshot(): BucketSnapshot {
    this.refill();
    return {
      limit: this.capacity,
      remaining: Math.max(0, Math.floor(this.level)),
      resetMs: Math.ceil((this.capacity - this.level) / this.ratePerMs),
    };
  }

  /** Milliseconds until `amount` units are available (0 if available now). */
  waitMs(amount: number): number {
    this.refill();
    const need = Math.min(amount, this.capacity) - this.level;
    return need <= 0 ? 0 : Math.ceil(need / this.ratePerMs);
  }

  canTake(amount: number): boolean {
    this.refill();
    return this.level >= amount;
  }

  take(amount: number): boolean {
    if (!this.canTake(amount)) return false;
    this.level -= amount;
    return true;
  }

  /** Gives units back (positive) or charges extra units (negative; the level may go below zero). */
  adjust(amount: number): void {
    this.refill();
    this.level = Math.min(this.capacity, this.level + amount);
  }
}

export interface RateLimits {
  /** requests per minute; 0 = unlimited */
  rpm: number;
  /** tokens per minute; 0 = unlimited */
  tpm: number;
}

export interface RateDecision {
  allowed: boolean;
  /** which limit refused the request */
  limitedBy?: 'requests' | 'tokens';
  /** milliseconds to wait before the request could be admitted */
  retryAfterMs: number;
  /** true when the request alone is larger than the token limit */
  tooLarge?: boolean;
  requests?: BucketSnapshot;
  tokens?: BucketSnapshot;
}

export class RateLimiter {
  private requests?: TokenBucket;
  private tokens?: TokenBucket;

  constructor(
    private limits: RateLimits,
    private readonly now: Clock = Date.now,
  ) {
    this.build();
  }

  private build(): void {
    this.requests = this.limits.rpm > 0 ? new TokenBucket(this.limits.rpm, this.now) : undefined;
    this.tokens = this.limits.tpm > 0 ? new TokenBucket(this.limits.tpm, this.now) : undefined;
  }

  /** Changes the limits (buckets restart full when a limit changes). */
  setLimits(limits: RateLimits): void {
    if (limits.rpm === this.limits.rpm && limits.tpm === this.limits.tpm) return;
    this.limits = { ...limits };
    this.build();
  }

  get limited(): boolean {
    return this.requests !== undefined || this.tokens !== undefined;
  }

  snapshot(): Pick<RateDecision, 'requests' | 'tokens'> {
    return { requests: this.requests?.snapshot(), tokens: this.tokens?.snapshot() };
  }

  /** Admits one request costing `tokenCost` tokens, or refuses it without consuming anything. */
  tryAcquire(tokenCost: number): RateDecision {
    const reqWait = this.requests ? this.requests.waitMs(1) : 0;
    const tokWait = this.tokens ? this.tokens.waitMs(tokenCost) : 0;
    const tooLarge = this.tokens !== undefined && tokenCost > this.tokens.capacity;
    if (reqWait > 0 || tokWait > 0 || tooLarge) {
      const limitedBy = reqWait >= tokWait && !tooLarge ? 'requests' : 'tokens';
      return { allowed: false, limitedBy, retryAfterMs: Math.max(reqWait, tokWait, 1), tooLarge, ...this.snapshot() };
    }
    this.requests?.take(1);
    this.tokens?.take(tokenCost);
    return { allowed: true, retryAfterMs: 0, ...this.snapshot() };
  }

  /** Corrects the token charge once the real usage is known. */
  settle(estimatedTokens: number, actualTokens: number): void {
    this.tokens?.adjust(estimatedTokens - actualTokens);
  }
}

export class QueueFullError extends Error {
  constructor() {
    super('server busy, please try again. maximum pending requests exceeded');
  }
}

export class AbortedError extends Error {
  constructor() {
    super('aborted');
  }
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (e: Error) => void;
  cleanup: () => void;
}

/** Parallel slots with a FIFO waiting queue. */
export class SlotPool {
  private activeCount = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    private size: number,
    private maxQueue = Infinity,
  ) {}

  get active(): number {
    return this.activeCount;
  }

  get queued(): number {
    return this.waiting.length;
  }

  resize(size: number, maxQueue = this.maxQueue): void {
    this.size = Math.max(1, size);
    this.maxQueue = maxQueue;
    this.drain();
  }

  private makeRelease(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.activeCount--;
      this.drain();
    };
  }

  private drain(): void {
    while (this.activeCount < this.size) {
      const w = this.waiting.shift();
      if (!w) break;
      w.cleanup();
      this.activeCount++;
      w.resolve(this.makeRelease());
    }
  }

  /** Resolves with a release function once a slot is free; rejects on abort or when the queue is full. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (this.activeCount < this.size && this.waiting.length === 0) {
      this.activeCount++;
      return Promise.resolve(this.makeRelease());
    }
    if (this.waiting.length >= this.maxQueue) return Promise.reject(new QueueFullError());
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AbortedError());
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }
}

/** OpenAI-style duration: "20ms", "1s", "6m0s", "1h2m3s", "1.5s". */
export function formatResetDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const sMs = total % 60_000;
  const s = Number((sMs / 1000).toFixed(3)).toString();
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}
