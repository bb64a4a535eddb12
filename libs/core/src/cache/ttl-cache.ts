import { LRUCache } from 'lru-cache';
import type { Clock } from '../time/clock';

export type TtlCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>, FC = unknown> = LRUCache<K, V, FC>;

export interface TtlCacheOptions<K extends NonNullable<unknown>, V extends NonNullable<unknown>, FC> {
  /** Entries kept at most; the least recently used goes first. */
  max: number;
  /** An entry is served for this long after it was set. */
  ttlMs: number;
  /** The time the entries age by (default: the wall clock), so a test's ManualClock ages them too. */
  clock?: Clock;
  /** For `fetch()`: loads a missing or expired entry, once for all concurrent callers. */
  fetchMethod?: LRUCache.Fetcher<K, V, FC>;
}

/** A bounded in-memory cache whose entries expire: the one way Margin keeps hot-path lookups in memory. */
export function ttlCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>, FC = unknown>(options: TtlCacheOptions<K, V, FC>): TtlCache<K, V, FC> {
  const { clock } = options;
  return new LRUCache<K, V, FC>({
    max: options.max,
    ttl: options.ttlMs,
    // read the time at every lookup: a "now" remembered for a millisecond would survive a test clock's jump
    ttlResolution: 0,
    perf: clock ? { now: () => clock.now().getTime() } : Date,
    ...(options.fetchMethod ? { fetchMethod: options.fetchMethod } : {}),
  });
}
