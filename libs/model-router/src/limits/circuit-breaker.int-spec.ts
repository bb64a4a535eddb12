import Redis from 'ioredis';
import { CircuitBreaker } from './circuit-breaker';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const T0 = 1_700_000_000_000;
const KEY = 'openai/gpt-4o-mini';

describe('CircuitBreaker (Redis)', () => {
  let redis: Redis;
  let t: number;
  let breaker: CircuitBreaker;
  const extra: Redis[] = [];

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  beforeEach(async () => {
    await redis.flushdb();
    t = T0;
    breaker = new CircuitBreaker(redis, () => t); // 5 failures / 60 s, open 30 s, probe permit 60 s
  });
  afterAll(async () => {
    await Promise.all([redis, ...extra].map((r) => r.quit()));
  });

  async function failTimes(n: number, stepMs = 1_000): Promise<string[]> {
    const states: string[] = [];
    for (let i = 0; i < n; i++) {
      states.push(await breaker.recordFailure(KEY));
      t += stepMs;
    }
    return states;
  }

  async function openAndWait(): Promise<void> {
    await failTimes(5, 0);
    t += 30_000;
    expect(await breaker.state(KEY)).toBe('half-open');
  }

  it('starts closed and lets calls pass', async () => {
    expect(await breaker.state(KEY)).toBe('closed');
    expect(await breaker.canPass(KEY)).toEqual({ allowed: true, state: 'closed' });
  });

  it('opens after failureThreshold failures within the window', async () => {
    expect(await failTimes(5)).toEqual(['closed', 'closed', 'closed', 'closed', 'open']);
    const openedAt = T0 + 4_000;
    expect(await breaker.state(KEY)).toBe('open');
    expect(await breaker.snapshot([KEY])).toEqual([{ key: KEY, state: 'open', failures: 5, openedAt, retryAfterMs: 29_000 }]);
    // other keys are unaffected
    expect(await breaker.canPass('openai/gpt-4o')).toEqual({ allowed: true, state: 'closed' });
  });

  it('does not open when the failures are spread beyond the window', async () => {
    // 20 s apart: at most 3 fall within any 60 s window
    expect(await failTimes(10, 20_000)).toEqual(Array(10).fill('closed'));
    expect((await breaker.snapshot([KEY]))[0]).toMatchObject({ state: 'closed', failures: 2 }); // t is 20 s past the last
  });

  it('a success resets the failure count', async () => {
    await failTimes(4);
    expect(await breaker.recordSuccess(KEY)).toBe('closed');
    expect(await failTimes(4)).toEqual(Array(4).fill('closed'));
    expect((await breaker.snapshot([KEY]))[0]).toMatchObject({ state: 'closed', failures: 4 });
    expect(await breaker.recordFailure(KEY)).toBe('open');
  });

  it('refuses while open, and outcomes of calls still in flight neither close nor extend it', async () => {
    await failTimes(5, 0);
    expect(await breaker.canPass(KEY)).toEqual({ allowed: false, state: 'open', retryAfterMs: 30_000 });
    t += 10_000;
    expect(await breaker.recordSuccess(KEY)).toBe('open');
    expect(await breaker.recordFailure(KEY)).toBe('open');
    expect(await breaker.canPass(KEY)).toEqual({ allowed: false, state: 'open', retryAfterMs: 20_000 });
    t += 19_999;
    expect(await breaker.canPass(KEY)).toEqual({ allowed: false, state: 'open', retryAfterMs: 1 });
    t += 1;
    expect(await breaker.canPass(KEY)).toEqual({ allowed: true, state: 'half-open', probe: true });
  });

  it('half-open: exactly one of 10 concurrent callers on different connections gets the probe', async () => {
    await openAndWait();
    const conns = Array.from({ length: 5 }, () => new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
    extra.push(...conns);
    const breakers = conns.map((c) => new CircuitBreaker(c, () => t));
    const passes = await Promise.all(Array.from({ length: 10 }, (_, i) => breakers[i % 5]!.canPass(KEY)));
    expect(passes.filter((p) => p.allowed)).toEqual([{ allowed: true, state: 'half-open', probe: true }]);
    for (const p of passes.filter((x) => !x.allowed)) {
      expect(p).toEqual({ allowed: false, state: 'half-open', retryAfterMs: 60_000 });
    }
    // still refused later while the probe is out
    t += 5_000;
    expect(await breaker.canPass(KEY)).toEqual({ allowed: false, state: 'half-open', retryAfterMs: 55_000 });
  });

  it('a successful probe closes the circuit', async () => {
    await openAndWait();
    expect((await breaker.canPass(KEY)).probe).toBe(true);
    t += 2_000;
    expect(await breaker.recordSuccess(KEY)).toBe('closed');
    expect(await breaker.canPass(KEY)).toEqual({ allowed: true, state: 'closed' });
    expect(await breaker.snapshot([KEY])).toEqual([{ key: KEY, state: 'closed', failures: 0 }]);
    // and it counts from zero again
    expect(await failTimes(4, 0)).toEqual(Array(4).fill('closed'));
  });

  it('a failed probe re-opens the circuit for another openMs', async () => {
    await openAndWait();
    expect((await breaker.canPass(KEY)).probe).toBe(true);
    t += 2_000;
    const reopenedAt = t;
    expect(await breaker.recordFailure(KEY)).toBe('open');
    expect((await breaker.snapshot([KEY]))[0]).toMatchObject({ state: 'open', openedAt: reopenedAt, retryAfterMs: 30_000 });
    t += 29_999;
    expect((await breaker.canPass(KEY)).allowed).toBe(false);
    t += 1;
    expect(await breaker.canPass(KEY)).toEqual({ allowed: true, state: 'half-open', probe: true });
  });

  it('a probe that never reports loses its permit after probeTimeoutMs', async () => {
    breaker = new CircuitBreaker(redis, () => t, { failureThreshold: 2, windowMs: 10_000, openMs: 1_000, probeTimeoutMs: 5_000 });
    await breaker.recordFailure(KEY);
    expect(await breaker.recordFailure(KEY)).toBe('open');
    t += 1_000;
    expect((await breaker.canPass(KEY)).probe).toBe(true); // this worker crashes
    t += 4_999;
    expect(await breaker.canPass(KEY)).toEqual({ allowed: false, state: 'half-open', retryAfterMs: 1 });
    t += 1;
    expect(await breaker.canPass(KEY)).toEqual({ allowed: true, state: 'half-open', probe: true });
  });

  it('snapshots several keys for the admin API', async () => {
    await failTimes(5, 0);
    await breaker.recordFailure('anthropic/claude-haiku');
    await breaker.recordFailure('ollama/llama3.1:8b');
    await breaker.recordFailure('ollama/llama3.1:8b');
    for (let i = 0; i < 5; i++) await breaker.recordFailure('openai/o3');
    t += 30_000;
    expect((await breaker.canPass('openai/o3')).probe).toBe(true);
    t += 1_000;
    expect(await breaker.snapshot([KEY, 'anthropic/claude-haiku', 'ollama/llama3.1:8b', 'openai/o3', 'none/none'])).toEqual([
      { key: KEY, state: 'half-open', failures: 5, openedAt: T0 },
      { key: 'anthropic/claude-haiku', state: 'closed', failures: 1 },
      { key: 'ollama/llama3.1:8b', state: 'closed', failures: 2 },
      { key: 'openai/o3', state: 'half-open', failures: 5, openedAt: T0, retryAfterMs: 59_000 },
      { key: 'none/none', state: 'closed', failures: 0 },
    ]);
    // snapshot is read-only: it handed out no probe permit
    expect(await breaker.canPass(KEY)).toEqual({ allowed: true, state: 'half-open', probe: true });
  });

  it('stores state under margin:cb:{key}:… with TTLs', async () => {
    await failTimes(5, 0);
    const keys = (await redis.keys('margin:cb:*')).sort();
    expect(keys).toEqual([`margin:cb:{${KEY}}:failures`, `margin:cb:{${KEY}}:state`]);
    for (const k of keys) expect(await redis.pttl(k)).toBeGreaterThan(0);
  });

  it('rejects invalid options', () => {
    expect(() => new CircuitBreaker(redis, () => t, { failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker(redis, () => t, { openMs: Number.NaN })).toThrow(RangeError);
  });

  it('routingSnapshot trusts a healthy reading for 250 ms, drops it on its own outcomes, and re-reads anything unhealthy', async () => {
    const other = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    extra.push(other);
    const elsewhere = new CircuitBreaker(other, () => t);
    const reads = jest.spyOn(breaker, 'snapshot');
    expect(await breaker.routingSnapshot([KEY])).toEqual([{ key: KEY, state: 'closed', failures: 0 }]);
    // another process opens the circuit: within 250 ms this one still routes on its healthy reading…
    for (let i = 0; i < 5; i++) await elsewhere.recordFailure(KEY);
    expect((await breaker.routingSnapshot([KEY]))[0]?.state).toBe('closed');
    expect(reads).toHaveBeenCalledTimes(1);
    // …after that it reads Redis again
    await new Promise((r) => setTimeout(r, 260));
    expect((await breaker.routingSnapshot([KEY]))[0]).toMatchObject({ state: 'open', failures: 5 });
    // an unhealthy circuit is read on every call
    await breaker.routingSnapshot([KEY]);
    expect(reads).toHaveBeenCalledTimes(3);
    // this process's own failure is seen at once
    t += 31_000;
    await breaker.recordSuccess(KEY);
    expect((await breaker.routingSnapshot([KEY]))[0]?.state).toBe('closed');
    await breaker.recordFailure(KEY);
    expect((await breaker.routingSnapshot([KEY]))[0]).toMatchObject({ state: 'closed', failures: 1 });
  });
});
