import { setTimeout } from 'node:timers/promises';

/**
 * Waits `ms`. An abort ends the wait at once and rejects with the signal's reason, as the rate limiter's and
 * the cache's waits do, so callers see their own cancellation rather than a timer's AbortError.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await setTimeout(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  }
}
