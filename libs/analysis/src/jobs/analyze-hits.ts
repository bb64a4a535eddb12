// The on-demand endpoint's cache hits: answered from a Redis copy of the cache entry, counted in Postgres in batches.
import { Logger } from '@nestjs/common';
import { usdToPico } from '@margin/core';
import type { LedgerService, SavingEntry } from '@margin/cost-tracking';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { AnalysisCacheRepository } from '../cache/analysis-cache.repository';
import type { CacheKey } from '../cache/analysis-cache.service';

/** A cache entry as kept in Redis (a copy: Postgres stays the source of truth). */
export interface HotEntry {
  output: unknown;
  quality: number | null;
  model: string | null;
  provider: string | null;
  /** Exact decimal USD: what producing it cost, what a hit saves. */
  cost: string;
}

/** Entries never change once written (first writer wins), so a copy only needs a TTL to bound Redis' memory. */
const HOT_TTL_SECONDS = 24 * 3600;
export const FLUSH_EVERY_MS = 1000;
/** Hits kept while Postgres is unreachable, at most; older ones are dropped (and logged) beyond it. */
const MAX_PENDING_KEYS = 50_000;

export function hotKey(k: CacheKey): string {
  return `margin:ac:${k.profileKey}:${k.profileVersion}:${k.scope}:${k.inputHash}`;
}

interface PendingHit {
  key: CacheKey;
  tenantId: string;
  /** Hits to add to the entry's hit_count (0 when already counted elsewhere). */
  count: number;
  /** Hits whose saving is to be booked. */
  saved: number;
  last: Date;
}

/**
 * Counts hits and books what they saved a batch at a time (one UPDATE and one INSERT per second at most,
 * whatever the request rate) instead of a database round trip in every request. The savings are the ledger's:
 * booked through LedgerService.
 */
export class AnalyzeHitRecorder {
  private readonly logger = new Logger(AnalyzeHitRecorder.name);
  private pending = new Map<string, PendingHit>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly entries: Pick<AnalysisCacheRepository, 'countHits'>,
    private readonly ledger: LedgerService,
  ) {}

  async get(key: CacheKey): Promise<HotEntry | null> {
    const text = await this.redis.get(hotKey(key));
    return text ? (JSON.parse(text) as HotEntry) : null;
  }

  async put(key: CacheKey, entry: HotEntry): Promise<void> {
    await this.redis.set(hotKey(key), JSON.stringify(entry), 'EX', HOT_TTL_SECONDS);
  }

  /** Notes a hit of `tenantId` on the entry; `counted` when its hit_count was already incremented. */
  record(key: CacheKey, tenantId: string, at: Date, counted = false): void {
    const id = `${hotKey(key)}\u0000${tenantId}`;
    const p = this.pending.get(id);
    if (p) {
      p.count += counted ? 0 : 1;
      p.saved += 1;
      p.last = at;
    } else {
      if (this.pending.size >= MAX_PENDING_KEYS) {
        this.logger.warn('Too many unrecorded cache hits (is Postgres down?): this one is not counted');
        return;
      }
      this.pending.set(id, { key, tenantId, count: counted ? 0 : 1, saved: 1, last: at });
    }
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
  }

  /** Writes the pending hits (also called at shutdown); on failure they are kept for the next try. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.write(batch)
      .catch((err: Error) => {
        this.logger.warn(`Cache hits not recorded yet (${batch.length} entries), retrying: ${err.message}`);
        for (const h of batch) {
          if (h.count === 0 && h.saved === 0) continue;
          const id = `${hotKey(h.key)}\u0000${h.tenantId}`;
          const p = this.pending.get(id);
          if (p) {
            p.count += h.count;
            p.saved += h.saved;
            if (h.last > p.last) p.last = h.last;
          } else if (this.pending.size < MAX_PENDING_KEYS) this.pending.set(id, h);
        }
        this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
      })
      .finally(() => {
        this.flushing = null;
      });
    await this.flushing;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Counts the hits (and reads what each entry cost) in one statement (the cache repository's), then books the savings. The counts are
   * zeroed once written, so when booking fails the retry books the savings without counting the hits again.
   */
  private async write(batch: PendingHit[]): Promise<void> {
    const costs = await this.entries.countHits(batch.map((h) => ({ address: h.key, count: h.count, lastAt: h.last })));
    for (const h of batch) h.count = 0;
    // what the hits saved: the entry's counterfactual cost (docs/metrics.md, "Savings"), priced from the entry itself
    const savedBy = new Map(costs.map((r) => [hotKey(r), r.counterfactual]));
    const savings: SavingEntry[] = [];
    for (const h of batch) {
      const each = savedBy.get(hotKey(h.key));
      const amountPico = each === undefined ? 0n : usdToPico(each) * BigInt(h.saved);
      if (amountPico > 0n) savings.push({ key: `analyze:${randomUUID()}`, tenantId: h.tenantId, amountPico, at: h.last });
    }
    await this.ledger.recordSavings(savings);
  }
}
