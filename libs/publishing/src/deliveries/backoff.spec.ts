import { DEFAULT_BACKOFF, nextRetryDelay, parseRetryAfter, type BackoffPolicy } from './backoff';

const policy: BackoffPolicy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 5, jitter: 0.5 };

describe('nextRetryDelay', () => {
  it('doubles per failed attempt, without jitter at random() = 0', () => {
    expect([1, 2, 3, 4].map((a) => nextRetryDelay(policy, a, undefined, () => 0))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('keeps the jittered wait within [delay·(1−jitter), delay]', () => {
    expect(nextRetryDelay(policy, 3, undefined, () => 0.999_999)).toBe(2000);
    for (let i = 0; i < 200; i++) {
      const d = nextRetryDelay(policy, 3) as number;
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it('gives up once the attempts are spent', () => {
    expect(nextRetryDelay(policy, 5)).toBeNull();
    expect(nextRetryDelay(DEFAULT_BACKOFF, DEFAULT_BACKOFF.maxAttempts)).toBeNull();
    expect(nextRetryDelay(DEFAULT_BACKOFF, DEFAULT_BACKOFF.maxAttempts - 1)).not.toBeNull();
  });

  it('caps the exponential growth at maxMs', () => {
    expect(nextRetryDelay({ ...policy, maxAttempts: 100 }, 40, undefined, () => 0)).toBe(60_000);
  });

  it("waits at least the platform's Retry-After, capped at maxMs", () => {
    expect(nextRetryDelay(policy, 1, 30_000, () => 0)).toBe(30_000);
    expect(nextRetryDelay(policy, 1, 10 * 60_000, () => 0)).toBe(60_000);
    // shorter than the backoff: the backoff wins
    expect(nextRetryDelay(policy, 4, 100, () => 0)).toBe(8000);
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
