import { AbortedError, formatResetDuration, QueueFullError, RateLimiter, SlotPool, TokenBucket } from './rate-limit';

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('TokenBucket', () => {
  it('starts full, drains and refills continuously over a minute', () => {
    const clock = fakeClock();
    const b = new TokenBucket(60, clock.now);
    expect(b.snapshot()).toEqual({ limit: 60, remaining: 60, resetMs: 0 });
    expect(b.take(60)).toBe(true);
    expect(b.take(1)).toBe(false);
    expect(b.waitMs(1)).toBe(1000);
    clock.advance(1000);
    expect(b.snapshot().remaining).toBe(1);
    expect(b.take(1)).toBe(true);
    clock.advance(60_000);
    expect(b.snapshot()).toEqual({ limit: 60, remaining: 60, resetMs: 0 });
  });

  it('can be charged extra (below zero) and refunded (capped at capacity)', () => {
    const clock = fakeClock();
    const b = new TokenBucket(100, clock.now);
    b.take(100);
    b.adjust(-50);
    expect(b.snapshot().remaining).toBe(0);
    expect(b.waitMs(10)).toBe(Math.ceil(60 / (100 / 60_000)));
    b.adjust(500);
    expect(b.snapshot().remaining).toBe(100);
  });
});

describe('RateLimiter', () => {
  it('enforces requests per minute and reports when to retry', () => {
    const clock = fakeClock();
    const l = new RateLimiter({ rpm: 2, tpm: 0 }, clock.now);
    expect(l.tryAcquire(10).allowed).toBe(true);
    const second = l.tryAcquire(10);
    expect(second.allowed).toBe(true);
    expect(second.requests).toEqual({ limit: 2, remaining: 0, resetMs: 60_000 });
    expect(second.tokens).toBeUndefined();
    const third = l.tryAcquire(10);
    expect(third.allowed).toBe(false);
    expect(third.limitedBy).toBe('requests');
    expect(third.retryAfterMs).toBe(30_000);
    clock.advance(30_000);
    expect(l.tryAcquire(10).allowed).toBe(true);
  });

  it('enforces tokens per minute without consuming on refusal, and settles real usage', () => {
    const clock = fakeClock();
    const l = new RateLimiter({ rpm: 100, tpm: 1000 }, clock.now);
    expect(l.tryAcquire(800).allowed).toBe(true);
    const refused = l.tryAcquire(300);
    expect(refused.allowed).toBe(false);
    expect(refused.limitedBy).toBe('tokens');
    expect(refused.retryAfterMs).toBe(Math.ceil(100 / (1000 / 60_000)));
    expect(refused.requests?.remaining).toBe(99); // the refused request consumed nothing
    l.settle(800, 200); // the call used only 200 tokens
    expect(l.tryAcquire(300).allowed).toBe(true);
  });

  it('flags requests larger than the whole token budget', () => {
    const l = new RateLimiter({ rpm: 0, tpm: 100 }, fakeClock().now);
    const d = l.tryAcquire(500);
    expect(d.allowed).toBe(false);
    expect(d.tooLarge).toBe(true);
  });

  it('is unlimited with zero limits', () => {
    const l = new RateLimiter({ rpm: 0, tpm: 0 });
    expect(l.limited).toBe(false);
    for (let i = 0; i < 1000; i++) expect(l.tryAcquire(1_000_000).allowed).toBe(true);
  });

  it('restarts with new limits', () => {
    const clock = fakeClock();
    const l = new RateLimiter({ rpm: 1, tpm: 0 }, clock.now);
    l.tryAcquire(1);
    expect(l.tryAcquire(1).allowed).toBe(false);
    l.setLimits({ rpm: 5, tpm: 0 });
    expect(l.tryAcquire(1).allowed).toBe(true);
  });
});

describe('SlotPool', () => {
  it('runs at most `size` at once and serves waiters first-in first-out', async () => {
    const pool = new SlotPool(2);
    const r1 = await pool.acquire();
    const r2 = await pool.acquire();
    const order: number[] = [];
    const p3 = pool.acquire().then((r) => (order.push(3), r));
    const p4 = pool.acquire().then((r) => (order.push(4), r));
    expect(pool.active).toBe(2);
    expect(pool.queued).toBe(2);
    r1();
    r1(); // releasing twice is harmless
    const r3 = await p3;
    expect(pool.active).toBe(2);
    r2();
    const r4 = await p4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(pool.active).toBe(0);
  });

  it('drops aborted waiters and refuses beyond the queue limit', async () => {
    const pool = new SlotPool(1, 1);
    const r1 = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire(controller.signal);
    await expect(pool.acquire()).rejects.toBeInstanceOf(QueueFullError);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    expect(pool.queued).toBe(0);
    r1();
    expect(pool.active).toBe(0);
  });

  it('grows when resized', async () => {
    const pool = new SlotPool(1);
    await pool.acquire();
    const next = pool.acquire();
    pool.resize(2);
    await expect(next).resolves.toBeInstanceOf(Function);
  });
});

describe('formatResetDuration', () => {
  it('formats like the OpenAI headers', () => {
    expect(formatResetDuration(0)).toBe('0ms');
    expect(formatResetDuration(120)).toBe('120ms');
    expect(formatResetDuration(1000)).toBe('1s');
    expect(formatResetDuration(1500)).toBe('1.5s');
    expect(formatResetDuration(360_000)).toBe('6m0s');
    expect(formatResetDuration(3_723_000)).toBe('1h2m3s');
  });
});
