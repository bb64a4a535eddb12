import Redis from 'ioredis';
import { performance } from 'node:perf_hooks';
import { type AcquireResult, type Lease, RateLimiter } from './rate-limiter';

// TEST_REDIS_URL picks a Redis database of one's own (this file flushes it).
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const T0 = 1_700_000_000_000;
const KEY = 'openai/gpt-4o-mini';

function lease(result: AcquireResult): Lease {
  if (!result.ok) throw new Error(`expected a grant, got a refusal: ${result.reason} ${result.retryAfterMs}ms`);
  return result.lease;
}

/** Polls (real time) until `cond` holds; fails the test after 3 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const stop = Date.now() + 3_000;
  while (!cond()) {
    if (Date.now() > stop) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Sleeps that only end when the test says so: `wakeAll` ends every pending sleep at once, the latest
 * sleeper first, so that callers who went to sleep later are the first to try again.
 */
function manualSleeps(): { sleep: (ms: number, signal?: AbortSignal) => Promise<void>; pending: () => number; wakeAll: () => void } {
  const sleepers: Array<() => void> = [];
  return {
    sleep: (_ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          sleepers.splice(sleepers.indexOf(wake), 1);
          reject(signal?.reason);
        };
        sleepers.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    pending: () => sleepers.length,
    wakeAll: () => {
      for (const wake of sleepers.splice(0).reverse()) wake();
    },
  };
}

describe('RateLimiter (Redis)', () => {
  let redis: Redis;
  let t: number;
  let limiter: RateLimiter;
  const extra: Redis[] = [];

  function connect(): Redis {
    const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    extra.push(r);
    return r;
  }

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  beforeEach(async () => {
    await redis.flushdb();
    t = T0;
    limiter = new RateLimiter(redis, () => t);
  });
  afterAll(async () => {
    await Promise.all([redis, ...extra].map((r) => r.quit()));
  });

  it('refills smoothly: rpm 60 is one request per second, never more than the capacity', async () => {
    const limits = { rpm: 60 };
    for (let i = 0; i < 60; i++) lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));
    expect(await limiter.tryAcquire(KEY, limits, { tokens: 0 })).toEqual({ ok: false, reason: 'rpm', retryAfterMs: 1000 });

    t += 500;
    expect(await limiter.tryAcquire(KEY, limits, { tokens: 0 })).toEqual({ ok: false, reason: 'rpm', retryAfterMs: 500 });
    t += 500;
    lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));
    expect(await limiter.tryAcquire(KEY, limits, { tokens: 0 })).toMatchObject({ ok: false, retryAfterMs: 1000 });

    t += 3000;
    for (let i = 0; i < 3; i++) lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));
    expect((await limiter.tryAcquire(KEY, limits, { tokens: 0 })).ok).toBe(false);

    // a long idle period refills to the capacity, not beyond
    t += 10 * 60_000;
    let granted = 0;
    while ((await limiter.tryAcquire(KEY, limits, { tokens: 0 })).ok) granted++;
    expect(granted).toBe(60);

    // other keys are independent
    lease(await limiter.tryAcquire('anthropic/claude-haiku', limits, { tokens: 0 }));
  });

  it('charges all or nothing: a refusal by one limit charges none of the others', async () => {
    const limits = { rpm: 10, tpm: 1000, maxConcurrency: 2 };
    const first = lease(await limiter.tryAcquire(KEY, limits, { tokens: 800 }));
    expect(await limiter.peek(KEY, limits)).toMatchObject({ requests: 9, tokens: 200, inFlight: 1 });

    // tpm refuses: 300 more tokens at 1000/min
    expect(await limiter.tryAcquire(KEY, limits, { tokens: 500 })).toEqual({ ok: false, reason: 'tpm', retryAfterMs: 18_000 });
    expect(await limiter.peek(KEY, limits)).toMatchObject({ requests: 9, tokens: 200, inFlight: 1 });

    // concurrency refuses: nothing charged either
    lease(await limiter.tryAcquire(KEY, limits, { tokens: 100 }));
    const refused = await limiter.tryAcquire(KEY, limits, { tokens: 10 });
    expect(refused).toMatchObject({ ok: false, reason: 'concurrency' });
    expect(await limiter.peek(KEY, limits)).toMatchObject({ requests: 8, tokens: 100, inFlight: 2 });

    // the longest wait is reported when several limits refuse
    await first.settle({ actualTokens: 500 }); // tokens back to 400, one slot free
    for (let i = 0; i < 8; i++) lease(await limiter.tryAcquire(KEY, { rpm: 10 }, { tokens: 0 }));
    // rpm needs 6 s for one request, tpm 36 s for 600 tokens
    expect(await limiter.tryAcquire(KEY, limits, { tokens: 1000 })).toEqual({ ok: false, reason: 'tpm', retryAfterMs: 36_000 });
    expect(await limiter.peek(KEY, limits)).toMatchObject({ requests: 0, tokens: 400, inFlight: 1 });
  });

  it('charges tokens at dispatch and refunds the unused part on settle (once)', async () => {
    const limits = { tpm: 1000 };
    const a = lease(await limiter.tryAcquire(KEY, limits, { tokens: 600 }));
    expect(a.tokens).toBe(600);
    expect((await limiter.peek(KEY, limits)).tokens).toBe(400);

    await a.settle({ actualTokens: 250 });
    expect((await limiter.peek(KEY, limits)).tokens).toBe(750);
    await a.settle({ actualTokens: 0 });
    await a.release();
    expect(a.settled).toBe(true);
    expect((await limiter.peek(KEY, limits)).tokens).toBe(750);

    // a failed call: all its tokens come back, the request stays counted
    const b = lease(await limiter.tryAcquire(KEY, { ...limits, rpm: 5 }, { tokens: 300 }));
    expect(await limiter.peek(KEY, { ...limits, rpm: 5 })).toMatchObject({ tokens: 450, requests: 4 });
    await b.release();
    expect(await limiter.peek(KEY, { ...limits, rpm: 5 })).toMatchObject({ tokens: 750, requests: 4 });

    // refunds never lift the bucket above its capacity (it refilled meanwhile)
    const c = lease(await limiter.tryAcquire(KEY, limits, { tokens: 500 }));
    t += 60_000;
    await c.settle({ actualTokens: 0 });
    expect((await limiter.peek(KEY, limits)).tokens).toBe(1000);

    // concurrent double settle is still a single refund
    const d = lease(await limiter.tryAcquire(KEY, limits, { tokens: 400 }));
    await Promise.all([d.settle({ actualTokens: 100 }), d.settle({ actualTokens: 100 }), d.release()]);
    expect((await limiter.peek(KEY, limits)).tokens).toBe(900);
  });

  it('charges the excess when the call used more than estimated, and later calls wait for it', async () => {
    const limits = { tpm: 1000 };
    const a = lease(await limiter.tryAcquire(KEY, limits, { tokens: 500 }));
    await a.settle({ actualTokens: 1700 });
    expect((await limiter.peek(KEY, limits)).tokens).toBe(-700);

    // even a zero-token call waits until the bucket is back at zero: 700 tokens at 1000/min
    expect(await limiter.tryAcquire(KEY, limits, { tokens: 0 })).toEqual({ ok: false, reason: 'tpm', retryAfterMs: 42_000 });
    t += 42_000 + 6_000;
    expect(await limiter.tryAcquire(KEY, limits, { tokens: 200 })).toMatchObject({ ok: false, retryAfterMs: 6_000 });
    t += 6_000;
    lease(await limiter.tryAcquire(KEY, limits, { tokens: 200 }));

    // a call larger than the whole bucket passes once the bucket is full, and drives it negative
    t += 120_000;
    lease(await limiter.tryAcquire(KEY, limits, { tokens: 1500 }));
    expect((await limiter.peek(KEY, limits)).tokens).toBe(-500);
  });

  it('holds concurrency leases, frees them on settle, and lets a crashed holder’s lease expire', async () => {
    const limits = { maxConcurrency: 2 };
    const a = lease(await limiter.tryAcquire(KEY, limits, { tokens: 0, leaseTtlMs: 5_000 }));
    lease(await limiter.tryAcquire(KEY, limits, { tokens: 0, leaseTtlMs: 5_000 })); // this holder "crashes"
    const refused = await limiter.tryAcquire(KEY, limits, { tokens: 0 });
    expect(refused).toMatchObject({ ok: false, reason: 'concurrency' });
    expect(refused.ok === false && refused.retryAfterMs).toBeLessThanOrEqual(250);

    await a.settle({ actualTokens: 0 });
    const c = lease(await limiter.tryAcquire(KEY, limits, { tokens: 0, leaseTtlMs: 5_000 }));
    expect((await limiter.tryAcquire(KEY, limits, { tokens: 0 })).ok).toBe(false);

    // c stays alive past its original expiry by extending it; the crashed lease does not
    t += 4_000;
    expect(await c.extend(10_000)).toBe(true);
    t += 1_000; // the crashed lease's expiry
    expect((await limiter.peek(KEY)).inFlight).toBe(1);
    const d = lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));
    expect((await limiter.tryAcquire(KEY, limits, { tokens: 0 })).ok).toBe(false);

    // an expired lease cannot be extended; settling it is harmless
    t += 20_000;
    expect(await c.extend(10_000)).toBe(false);
    await c.settle({ actualTokens: 0 });
    await d.settle({ actualTokens: 0 });
    expect((await limiter.peek(KEY)).inFlight).toBe(0);
  });

  it('renewLeases: a live holder keeps its slot past the short lifetime; a dead holder’s slot frees within one lifetime', async () => {
    const renewing = new RateLimiter(redis, () => t, { leaseTtlMs: 300, renewLeases: true });
    const limits = { maxConcurrency: 2 };
    const live = lease(await renewing.tryAcquire(KEY, limits, { tokens: 0 }));
    // the holder killed mid-call: same short lifetime, nobody renews it
    lease(await limiter.tryAcquire(KEY, limits, { tokens: 0, leaseTtlMs: 300 }));
    expect((await renewing.tryAcquire(KEY, limits, { tokens: 0 })).ok).toBe(false);
    for (let i = 0; i < 4; i++) {
      t += 200; // past both leases' first expiry by the second round
      await new Promise((r) => setTimeout(r, 150)); // a renewal tick (every 100 ms of real time)
    }
    expect((await renewing.peek(KEY)).inFlight).toBe(1);
    const next = lease(await renewing.tryAcquire(KEY, limits, { tokens: 0 }));
    await live.settle({ actualTokens: 0 });
    await next.settle({ actualTokens: 0 });
    t += 1_000;
    await new Promise((r) => setTimeout(r, 150)); // settled leases are no longer renewed
    expect((await renewing.peek(KEY)).inFlight).toBe(0);
  });

  it('tightens from provider headers: lowers, never raises, and derives the level from reset times', async () => {
    const limits = { rpm: 100, tpm: 60_000 };
    lease(await limiter.tryAcquire(KEY, limits, { tokens: 1000 }));
    expect(await limiter.peek(KEY, limits)).toMatchObject({ requests: 99, tokens: 59_000 });

    await limiter.tighten(KEY, { remainingRequests: 10, remainingTokens: 70_000 });
    expect(await limiter.peek(KEY, limits)).toMatchObject({ requests: 10, tokens: 59_000 });
    await limiter.tighten(KEY, { remainingRequests: 50 });
    expect((await limiter.peek(KEY, limits)).requests).toBe(10);

    // "tokens fully replenished in 30 s" at 1000 tokens/s means 30 000 left now
    await limiter.tighten(KEY, { remainingTokens: 45_000, resetTokensMs: 30_000 });
    expect((await limiter.peek(KEY, limits)).tokens).toBe(30_000);

    // the lowered bucket refills at the normal rate from there
    await limiter.tighten(KEY, { remainingRequests: 0 });
    expect(await limiter.tryAcquire(KEY, limits, { tokens: 0 })).toEqual({ ok: false, reason: 'rpm', retryAfterMs: 600 });
    t += 600;
    lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));

    // before a key's first acquire the capacity comes from the limits argument (without it: nothing to lower)
    await limiter.tighten('openai/gpt-4o', { remainingRequests: 3 });
    expect((await limiter.peek('openai/gpt-4o', limits)).requests).toBe(100);
    await limiter.tighten('openai/gpt-4o', { remainingRequests: 3 }, limits);
    expect((await limiter.peek('openai/gpt-4o', limits)).requests).toBe(3);
  });

  it('blocks the key on a retry-after until it has passed (a shorter one does not shorten it)', async () => {
    const limits = { rpm: 100 };
    await limiter.tighten(KEY, { retryAfterMs: 2_000 });
    expect(await limiter.tryAcquire(KEY, limits, { tokens: 0 })).toEqual({ ok: false, reason: 'blocked', retryAfterMs: 2_000 });
    expect((await limiter.peek(KEY)).blockedUntil).toBe(T0 + 2_000);

    t += 1_000;
    await limiter.tighten(KEY, { retryAfterMs: 500 });
    expect(await limiter.tryAcquire(KEY, limits, { tokens: 0 })).toEqual({ ok: false, reason: 'blocked', retryAfterMs: 1_000 });
    t += 1_000;
    lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));
    expect((await limiter.peek(KEY)).blockedUntil).toBeUndefined();
    expect((await limiter.peek(KEY, limits)).requests).toBe(99); // refusals while blocked charged nothing
  });

  it('acquire sleeps for the suggested time (with jitter) and gives up when the wait would pass maxWaitMs', async () => {
    const sleeps: number[] = [];
    const waiting = new RateLimiter(redis, () => t, {
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
      },
      random: () => 0.5,
    });
    const limits = { rpm: 60 };
    for (let i = 0; i < 60; i++) lease(await waiting.tryAcquire(KEY, limits, { tokens: 0 }));

    const granted = lease(await waiting.acquire(KEY, limits, { tokens: 0, maxWaitMs: 5_000 }));
    expect(sleeps).toEqual([1_050]); // 1000 ms + jitter (half of min(100, 20% of 1000))
    expect(granted.acquiredAt).toBe(T0 + 1_050);

    sleeps.length = 0;
    const start = t;
    const refused = await waiting.acquire(KEY, limits, { tokens: 0, maxWaitMs: 500 });
    expect(refused).toEqual({ ok: false, reason: 'rpm', retryAfterMs: 950 });
    expect(sleeps).toEqual([]);
    expect(t).toBe(start);

    // zero wait = a single try
    expect((await waiting.acquire(KEY, limits, { tokens: 0, maxWaitMs: 0 })).ok).toBe(false);
  });

  it('acquire rejects when its signal aborts', async () => {
    const limits = { rpm: 1 };
    lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));
    const controller = new AbortController();
    const pending = limiter.acquire(KEY, limits, { tokens: 0, maxWaitMs: 120_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled')), 20);
    await expect(pending).rejects.toThrow('cancelled');

    const aborted = AbortSignal.abort(new Error('already'));
    await expect(limiter.acquire(KEY, limits, { tokens: 0, maxWaitMs: 1_000, signal: aborted })).rejects.toThrow('already');
  });

  it('rejects invalid limits and token counts', async () => {
    await expect(limiter.tryAcquire(KEY, { rpm: 0 }, { tokens: 0 })).rejects.toThrow(RangeError);
    await expect(limiter.tryAcquire(KEY, { maxConcurrency: 1.5 }, { tokens: 0 })).rejects.toThrow(RangeError);
    await expect(limiter.tryAcquire(KEY, {}, { tokens: -1 })).rejects.toThrow(RangeError);
    await expect(limiter.tryAcquire('', {}, { tokens: 1 })).rejects.toThrow(RangeError);
    // no limits at all: always granted
    lease(await limiter.tryAcquire(KEY, { rpm: null }, { tokens: 1e9 }));
  });

  it('stores state under margin:rl:{key}:… with TTLs', async () => {
    lease(await limiter.tryAcquire('odd/{model}', { rpm: 60, tpm: 6000, maxConcurrency: 1 }, { tokens: 600 }));
    await limiter.tighten('odd/{model}', { retryAfterMs: 1000 });
    const keys = (await redis.keys('margin:rl:*')).sort();
    expect(keys).toEqual([
      'margin:rl:{odd/%7Bmodel%7D}:block',
      'margin:rl:{odd/%7Bmodel%7D}:leases',
      'margin:rl:{odd/%7Bmodel%7D}:req',
      'margin:rl:{odd/%7Bmodel%7D}:tok',
    ]);
    for (const k of keys) expect(await redis.pttl(k)).toBeGreaterThan(0);
    // refill time (1 request at 60 rpm: 1 s; 600 tokens at 6000 tpm: 6 s) + the idle margin
    expect(await redis.pttl('margin:rl:{odd/%7Bmodel%7D}:req')).toBeLessThanOrEqual(61_000);
    expect(await redis.pttl('margin:rl:{odd/%7Bmodel%7D}:tok')).toBeGreaterThan(61_000);
    expect(await redis.hget('margin:rl:{odd/%7Bmodel%7D}:tok', 'v')).toBe('5400');
  });

  describe('first come, first served', () => {
    it('grants waiters on two connections in arrival order, whoever wakes first', async () => {
      const limits = { rpm: 60 };
      for (let i = 0; i < 60; i++) lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));
      const sleeps = manualSleeps();
      const workers = [connect(), connect()].map((r) => new RateLimiter(r, () => t, { sleep: sleeps.sleep }));
      const order: number[] = [];
      const waiters: Array<Promise<AcquireResult>> = [];
      for (let i = 0; i < 6; i++) {
        const pending = workers[i % 2]!.acquire(KEY, limits, { tokens: 0, maxWaitMs: 60_000 });
        waiters.push(pending);
        void pending.then((r) => r.ok && order.push(i));
        await until(() => sleeps.pending() === i + 1, `waiter ${i} queued`);
      }
      expect(await limiter.peek(KEY, limits)).toMatchObject({ requests: 0, waiting: 6 });

      // one request refills per second; every waiter wakes each time, the latest arrival first
      for (let round = 1; round <= 6; round++) {
        t += 1_000;
        sleeps.wakeAll();
        await until(() => order.length === round && sleeps.pending() === 6 - round, `grant ${round}`);
      }
      expect(order).toEqual([0, 1, 2, 3, 4, 5]);
      for (const r of await Promise.all(waiters)) expect(r.ok).toBe(true);
      expect(await limiter.peek(KEY, limits)).toMatchObject({ requests: 0, waiting: 0 });
      expect(await redis.exists('margin:rl:{openai/gpt-4o-mini}:queue')).toBe(0);
    });

    it('a waiter that gives up (abort, deadline) takes its ticket with it and holds up no one', async () => {
      const limits = { maxConcurrency: 1 };
      const held = lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));
      const sleeps = manualSleeps();
      const [w1, w2] = [connect(), connect()].map((r) => new RateLimiter(r, () => t, { sleep: sleeps.sleep }));
      const controller = new AbortController();
      const aborted = w1!.acquire(KEY, limits, { tokens: 0, maxWaitMs: 60_000, signal: controller.signal });
      await until(() => sleeps.pending() === 1, 'first waiter queued');
      const timedOut = w2!.acquire(KEY, limits, { tokens: 0, maxWaitMs: 1_000 });
      await until(() => sleeps.pending() === 2, 'second waiter queued');
      let granted = false;
      const last = w1!.acquire(KEY, limits, { tokens: 0, maxWaitMs: 60_000 }).then((r) => {
        granted = r.ok;
        return r;
      });
      await until(() => sleeps.pending() === 3, 'third waiter queued');
      expect((await limiter.peek(KEY)).waiting).toBe(3);

      controller.abort(new Error('client went away'));
      await expect(aborted).rejects.toThrow('client went away');
      expect((await limiter.peek(KEY)).waiting).toBe(2);

      t += 1_000; // the second waiter's deadline
      sleeps.wakeAll();
      expect(await timedOut).toMatchObject({ ok: false, reason: 'concurrency' });
      await until(() => sleeps.pending() === 1, 'third waiter asleep again');
      expect((await limiter.peek(KEY)).waiting).toBe(1);
      expect(granted).toBe(false);

      // the slot frees: the last waiter is now first in line (the others' tickets would still count ahead of it)
      await held.release();
      t += 250;
      sleeps.wakeAll();
      expect(lease(await last).acquiredAt).toBe(t);
      expect((await limiter.peek(KEY)).waiting).toBe(0);
    });

    it('the ticket of a crashed waiter expires shortly after its planned wake-up', async () => {
      const limits = { maxConcurrency: 1 };
      const held = lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));
      // "crashes" while asleep: never wakes, never removes its ticket
      const crashed = new RateLimiter(connect(), () => t, { sleep: () => new Promise<void>(() => undefined) });
      void crashed.acquire(KEY, limits, { tokens: 0, maxWaitMs: 60_000 });
      for (let i = 0; i < 300 && (await limiter.peek(KEY)).waiting < 1; i++) await new Promise((r) => setTimeout(r, 5));
      const sleeps = manualSleeps();
      const live = new RateLimiter(connect(), () => t, { sleep: sleeps.sleep });
      let granted = false;
      const next = live.acquire(KEY, limits, { tokens: 0, maxWaitMs: 60_000 }).then((r) => {
        granted = r.ok;
        return r;
      });
      await until(() => sleeps.pending() === 1, 'live waiter queued');
      expect((await limiter.peek(KEY)).waiting).toBe(2);
      await held.release();

      // the crashed ticket (planned wake-up after the 250 ms concurrency poll, + 100 jitter + 2 000 grace) still counts
      t += 2_000;
      sleeps.wakeAll();
      await until(() => sleeps.pending() === 1, 'live waiter asleep again');
      expect(granted).toBe(false);

      t += 400;
      sleeps.wakeAll();
      expect(lease(await next).acquiredAt).toBe(T0 + 2_400);
      expect((await limiter.peek(KEY)).waiting).toBe(0);
    });

    it('refuses at once when the queue ahead cannot be served within maxWaitMs, and nobody jumps the queue', async () => {
      const limits = { rpm: 60 };
      for (let i = 0; i < 60; i++) lease(await limiter.tryAcquire(KEY, limits, { tokens: 0 }));
      const sleeps = manualSleeps();
      const worker = new RateLimiter(connect(), () => t, { sleep: sleeps.sleep });
      const controller = new AbortController();
      const waiters = Array.from({ length: 5 }, () => worker.acquire(KEY, limits, { tokens: 0, maxWaitMs: 60_000, signal: controller.signal }));
      await until(() => sleeps.pending() === 5, 'five waiters queued');

      // five ahead at one per second: this caller's turn comes in 6 s, past its 5 s
      expect(await limiter.acquire(KEY, limits, { tokens: 0, maxWaitMs: 5_000 })).toEqual({ ok: false, reason: 'rpm', retryAfterMs: 6_000 });
      expect((await limiter.peek(KEY)).waiting).toBe(5);

      // three requests refill while the waiters sleep: they are theirs, not a newcomer's
      t += 3_000;
      expect(await limiter.tryAcquire(KEY, limits, { tokens: 0 })).toEqual({ ok: false, reason: 'rpm', retryAfterMs: 3_000 });
      expect((await limiter.peek(KEY, limits)).requests).toBe(3);

      // the first three in line take them, whatever order they wake in
      sleeps.wakeAll();
      await until(() => sleeps.pending() === 2, 'two waiters left');
      const settled = await Promise.race([Promise.all(waiters.slice(0, 3)), new Promise((r) => setTimeout(r, 1_000, 'pending'))]);
      expect(settled).not.toBe('pending');
      expect((await limiter.peek(KEY, limits)).requests).toBe(0);
      expect((await limiter.peek(KEY)).waiting).toBe(2);

      controller.abort(new Error('shutdown'));
      await Promise.all(waiters.slice(3).map((w) => expect(w).rejects.toThrow('shutdown')));
      expect((await limiter.peek(KEY)).waiting).toBe(0);
    });

    it('tokens: a waiter needs room for the tokens of everyone ahead of it', async () => {
      const limits = { tpm: 6_000 }; // 100 tokens per second
      lease(await limiter.tryAcquire(KEY, limits, { tokens: 6_000 }));
      const sleeps = manualSleeps();
      const worker = new RateLimiter(connect(), () => t, { sleep: sleeps.sleep });
      const big = worker.acquire(KEY, limits, { tokens: 1_000, maxWaitMs: 60_000 });
      await until(() => sleeps.pending() === 1, 'big waiter queued');
      // a small call would fit now-ish, but 1 000 tokens are promised to the waiter ahead: 1 000 + 100 = 11 s
      expect(await limiter.tryAcquire(KEY, limits, { tokens: 100 })).toEqual({ ok: false, reason: 'tpm', retryAfterMs: 11_000 });
      t += 10_000;
      sleeps.wakeAll();
      lease(await big);
      t += 1_000;
      lease(await limiter.tryAcquire(KEY, limits, { tokens: 100 }));
    });
  });

  describe('across connections (workers)', () => {
    it('grants exactly the capacity to 20 simultaneous callers on 3 connections', async () => {
      const limiters = [connect(), connect(), connect()].map((r) => new RateLimiter(r, () => t));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => limiters[i % 3]!.tryAcquire(KEY, { rpm: 7, tpm: 500 }, { tokens: 100 })));
      expect(results.filter((r) => r.ok)).toHaveLength(5); // tpm binds: 5 × 100
      const byRpm = await Promise.all(Array.from({ length: 20 }, (_, i) => limiters[i % 3]!.tryAcquire('other/model', { rpm: 7, tpm: 500 }, { tokens: 1 })));
      expect(byRpm.filter((r) => r.ok)).toHaveLength(7);
    });

    it('20 waiting acquirers on 3 connections never exceed the rate in any window', async () => {
      // Virtual time runs 100× faster than real time: rpm 10 = one grant per 6 virtual s = 60 real ms.
      const SCALE = 100;
      const start = performance.now();
      const now = (): number => T0 + (performance.now() - start) * SCALE;
      let sleeps = 0;
      const sleep = (ms: number): Promise<void> => {
        sleeps++;
        return new Promise((resolve) => setTimeout(resolve, ms / SCALE));
      };
      const limiters = [connect(), connect(), connect()].map((r) => new RateLimiter(r, now, { sleep }));
      const rpm = 10;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => limiters[i % 3]!.acquire(KEY, { rpm }, { tokens: 0, maxWaitMs: 10 * 60_000 })));
      const times = results.map((r) => lease(r).acquiredAt).sort((a, b) => a - b);
      expect(times).toHaveLength(20);
      // token bucket bound: grants in [a, b] <= capacity + rate × (b - a) (+ a hair for in-flight clock reads)
      const rate = rpm / 60_000;
      for (let i = 0; i < times.length; i++) {
        for (let j = i; j < times.length; j++) {
          expect(j - i + 1).toBeLessThanOrEqual(rpm + rate * (times[j]! - times[i]!) + rate * 5 * SCALE);
        }
      }
      // the 10 beyond the capacity were paced over ~10 × 6 s of virtual time, not bunched
      expect(times[19]! - times[0]!).toBeGreaterThanOrEqual(10 * 6_000 - 5 * SCALE);
      // waiters sleep; they do not spin (each retry waits for the next refill)
      expect(sleeps).toBeLessThan(20 * 12);
    });

    it('never has more than maxConcurrency calls in flight across 3 connections', async () => {
      const limiters = [connect(), connect(), connect()].map((r) => new RateLimiter(r, () => Date.now(), { concurrencyPollMs: 5 }));
      let inFlight = 0;
      let peak = 0;
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const l = lease(await limiters[i % 3]!.acquire(KEY, { maxConcurrency: 3 }, { tokens: 0, maxWaitMs: 5_000 }));
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 15));
          inFlight--;
          await l.settle({ actualTokens: 0 });
        }),
      );
      expect(peak).toBe(3);
      expect((await limiter.peek(KEY)).inFlight).toBe(0);
    });
  });
});
