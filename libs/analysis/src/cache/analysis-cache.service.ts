import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CacheScope } from '@margin/contracts';
import { Clock, DomainError, GroupCommit, picoToDecimal, REDIS, RedisScript, sleep, usdToPico, type PicoUsd, type ScriptCall } from '@margin/core';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AnalysisCacheRepository, type CacheValue } from './analysis-cache.repository';

export interface CacheKey {
  profileKey: string;
  profileVersion: number;
  /** `global`, or `tenant:<id>` for tenant-scoped profiles. */
  scope: string;
  inputHash: string;
}

export interface CachedAnalysis {
  output: unknown;
  quality: number | null;
  model: string | null;
  provider: string | null;
  /** What producing it cost the first time. */
  originalCostPico: PicoUsd;
  /**
   * What producing it would have cost on the savings counterfactual (the premium model, for the same tokens):
   * what every hit saves (docs/metrics.md, "Savings"). Entries from before it was kept: the original cost.
   */
  counterfactualCostPico: PicoUsd;
}

export interface FreshAnalysis extends CachedAnalysis {
  emulated?: boolean;
}

export function cacheScope(scope: CacheScope, tenantId: string): string {
  return scope === 'global' ? 'global' : `tenant:${tenantId}`;
}

export class CacheScopeNotAllowedError extends DomainError {
  readonly code = 'cache_scope_not_allowed';
  readonly httpStatus = 400;
  override readonly details: string[];
  constructor(profileKey: string) {
    const message = `cacheScope "global" is not available for profile ${profileKey}: its results are cached per tenant`;
    super(message);
    this.details = [message];
  }
}

/**
 * The scope a job's (or an /analyze call's) items are cached in: its own request may narrow the profile's
 * `global` to `tenant` (private inputs), never widen a per-tenant profile to `global`.
 */
export function requestedScope(profile: { key: string; cacheScope: CacheScope }, requested: CacheScope | undefined): CacheScope {
  if (requested === undefined) return profile.cacheScope;
  if (requested === 'global' && profile.cacheScope !== 'global') throw new CacheScopeNotAllowedError(profile.key);
  return requested;
}

// Short, refreshed while the holder lives: a holder that dies (a killed worker) frees the key within seconds.
const LOCK_TTL_MS = 15_000;
const LOCK_REFRESH_MS = 5_000;
const WAIT_POLL_MS = 100;

// Deletes or extends the lock only if this caller still holds it.
const RELEASE = new RedisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`, { keys: 1 });
// After a successful store the key stays, saying "done", a little while: a caller whose lookup missed just
// before the store cannot then take the lock and run it again, so the lock holder need not look a second time.
const MARK_DONE = new RedisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2]) else return 0 end`, {
  keys: 1,
});
const DONE_TTL_MS = 5_000;
/** Cache entries per INSERT when many items finish at once. */
const STORE_BATCH = 200;
const EXTEND = new RedisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`, { keys: 1 });

/**
 * The global content-hash cache: an item already analyzed (same profile version, same canonical input, same
 * scope) is served from Postgres at $0. Misses go through single-flight: a Redis lock per key, so that
 * identical items in any job, tenant (global scope) or worker cause exactly one LLM run while the others wait
 * for its result.
 */
@Injectable()
export class AnalysisCacheService {
  private readonly logger = new Logger(AnalysisCacheService.name);

  private readonly stores: GroupCommit<{ key: CacheKey; value: CacheValue; at: Date }, void>;
  private readonly lock: Record<'release' | 'markDone' | 'extend', ScriptCall>;

  constructor(
    private readonly repo: AnalysisCacheRepository,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly clock: Clock,
  ) {
    this.lock = { release: RELEASE.defineOn(redis), markDone: MARK_DONE.defineOn(redis), extend: EXTEND.defineOn(redis) };
    this.stores = new GroupCommit<{ key: CacheKey; value: CacheValue; at: Date }, void>(
      async (rows) => {
        await this.repo.insertMany(rows.map((r) => ({ address: r.key, value: r.value, at: r.at })));
        return rows.map(() => undefined);
      },
      { maxBatch: STORE_BATCH, parallel: 2 },
    );
  }

  async lookup(key: CacheKey, countHit = true): Promise<CachedAnalysis | null> {
    const row = countHit ? await this.repo.hit(key, this.clock.now()) : await this.repo.find(key);
    if (!row) return null;
    return {
      output: row.output,
      quality: row.quality === null ? null : Number(row.quality),
      model: row.model,
      provider: row.provider,
      originalCostPico: usdToPico(row.cost),
      counterfactualCostPico: usdToPico(row.counterfactual),
    };
  }

  /** Which of these input hashes are cached already (estimates). */
  /**
   * How many of these items (duplicates counted each time) the cache holds, for each scope the tenant's job
   * could use: its own (`tenant`) and, when the profile is shared, `global` — counted while a body streams,
   * before its `cacheScope` field may have arrived.
   */
  async countCached(
    tenantId: string,
    profile: { key: string; version: number; cacheScope: CacheScope },
    hashes: string[],
  ): Promise<Record<CacheScope, number>> {
    const counts: Record<CacheScope, number> = { global: 0, tenant: 0 };
    if (hashes.length === 0) return counts;
    const own = cacheScope('tenant', tenantId);
    const scopes = profile.cacheScope === 'global' ? ['global', own] : [own];
    const held = { global: new Set<string>(), tenant: new Set<string>() };
    for (const row of await this.repo.existingHashes({ profileKey: profile.key, profileVersion: profile.version }, scopes, [...new Set(hashes)])) {
      held[row.scope === 'global' ? 'global' : 'tenant'].add(row.inputHash);
    }
    for (const hash of hashes) {
      if (held.global.has(hash)) counts.global++;
      if (held.tenant.has(hash)) counts.tenant++;
    }
    return counts;
  }

  /** Resolves once the entry is committed (concurrent stores share one INSERT). */
  private store(key: CacheKey, value: FreshAnalysis): Promise<void> {
    return this.stores.add({
      key,
      value: {
        output: value.output,
        quality: value.quality,
        model: value.model,
        provider: value.provider,
        costUsd: picoToDecimal(value.originalCostPico),
        counterfactualUsd: picoToDecimal(value.counterfactualCostPico),
      },
      at: this.clock.now(),
    });
  }

  /**
   * The cached analysis, or the one `compute` produces — computed by exactly one caller at a time per key
   * across every process. `fromCache` tells the caller whether it ran the LLM (and pays) or reused a result.
   * `lockWithLookup`: try the single-flight lock at the same time as the lookup (one round trip less before a
   * miss runs, for callers whose items mostly miss; a hit then gives the lock straight back).
   */
  async getOrCompute(
    key: CacheKey,
    compute: () => Promise<FreshAnalysis>,
    signal?: AbortSignal,
    options: { lockWithLookup?: boolean } = {},
  ): Promise<{ value: CachedAnalysis; fromCache: boolean }> {
    const lockKey = `margin:sf:${key.profileKey}:${key.profileVersion}:${key.scope}:${key.inputHash}`;
    if (options.lockWithLookup) {
      const token = randomUUID();
      const [looked, locked] = await Promise.allSettled([this.lookup(key), this.redis.set(lockKey, token, 'PX', LOCK_TTL_MS, 'NX')]);
      const held = locked.status === 'fulfilled' && locked.value === 'OK';
      if (looked.status === 'rejected' || looked.value) {
        if (held) void this.lock.release([lockKey], [token]).catch((err: Error) => this.logger.warn(`lock release failed: ${err.message}`));
        if (looked.status === 'rejected') throw looked.reason;
        return { value: looked.value as CachedAnalysis, fromCache: true };
      }
      if (locked.status === 'rejected') throw locked.reason;
      if (held) return this.computeHolding(key, lockKey, token, compute);
    } else {
      const hit = await this.lookup(key);
      if (hit) return { value: hit, fromCache: true };
    }
    for (;;) {
      const token = randomUUID();
      const acquired = await this.redis.set(lockKey, token, 'PX', LOCK_TTL_MS, 'NX');
      // No second lookup: whoever stored it since ours left the key behind (MARK_DONE), so we would not hold it.
      if (acquired === 'OK') return this.computeHolding(key, lockKey, token, compute);
      // Another caller is computing it: wait for its result, or for its lock to go (it failed) and try again.
      while (await this.redis.exists(lockKey)) {
        if (signal?.aborted) throw signal.reason;
        await sleep(WAIT_POLL_MS, signal);
        const ready = await this.lookup(key);
        if (ready) return { value: ready, fromCache: true };
      }
      const ready = await this.lookup(key);
      if (ready) return { value: ready, fromCache: true };
    }
  }

  /** Runs `compute` while holding the single-flight lock, stores its result, then marks the key done (or frees it). */
  private async computeHolding(
    key: CacheKey,
    lockKey: string,
    token: string,
    compute: () => Promise<FreshAnalysis>,
  ): Promise<{ value: CachedAnalysis; fromCache: boolean }> {
    const refresh = setInterval(() => void this.lock.extend([lockKey], [token, LOCK_TTL_MS]).catch(() => undefined), LOCK_REFRESH_MS);
    let stored = false;
    try {
      const value = await compute();
      await this.store(key, value);
      stored = true;
      return { value, fromCache: false };
    } finally {
      clearInterval(refresh);
      const done = stored ? this.lock.markDone([lockKey], [token, DONE_TTL_MS]) : this.lock.release([lockKey], [token]);
      await done.catch((err: Error) => this.logger.warn(`lock release failed: ${err.message}`));
    }
  }
}
