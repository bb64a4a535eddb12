// When a delivery that failed for a transient reason (5xx, timeout, connection error, 429) is tried again.

export interface BackoffPolicy {
  /** First retry after about this long. */
  baseMs: number;
  /** No wait longer than this (a Retry-After beyond it is capped too, so a bad header cannot park a delivery for days). */
  maxMs: number;
  /** Attempts in all, the first included; past them the delivery fails. */
  maxAttempts: number;
  /** Spread of the random part: a wait is uniform in [delay·(1−jitter), delay]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 2_000, maxMs: 15 * 60_000, maxAttempts: 8, jitter: 0.5 });

/**
 * The wait before attempt `attempt + 1`, after `attempt` attempts failed (1 = the first failed): exponential
 * (base · 2^(attempt−1)) with jitter below it, so the deliveries of one outage do not all come back at once;
 * never shorter than the platform's Retry-After; capped at maxMs. Null: no attempts left.
 */
export function nextRetryDelay(policy: BackoffPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number | null {
  if (attempt >= policy.maxAttempts) return null;
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential * (1 - policy.jitter * random());
  const floor = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.min(retryAfterMs, policy.maxMs) : 0;
  return Math.round(Math.max(jittered, floor));
}

/** A Retry-After header (seconds, or an HTTP date) in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
