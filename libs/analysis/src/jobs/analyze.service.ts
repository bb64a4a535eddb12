import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { AnalyzeMode, AnalyzeResponse, CacheScope } from '@margin/contracts';
import { Clock, DomainError, OutboundPolicy, picoToDecimal, picoToUsd, REDIS, sleep } from '@margin/core';
import type Redis from 'ioredis';
import { LedgerService } from '@margin/cost-tracking';
import type { Principal } from '@margin/identity';
import { randomUUID } from 'node:crypto';
import { AnalysisCacheRepository } from '../cache/analysis-cache.repository';
import { AnalysisCacheService, cacheScope, requestedScope, type CacheKey, type CachedAnalysis } from '../cache/analysis-cache.service';
import { inputHash } from '../cache/canonical';
import { ProvidersUnavailableError } from '@margin/model-router';
import { PipelineRunner } from '../pipeline/pipeline-runner';
import { parseProfileRef, ProfilesService } from '../profiles/profiles.service';
import { QuotaService } from '../quotas/quota.service';
import { AnalyzeHitRecorder } from './analyze-hits';
import { InvalidItemsError, validateItems } from './item-input';
import { INSTANT_DEADLINE_MS, InstantAnalysis } from './instant/instant-analysis';

/**
 * How long one POST /analyze waits for providers to come back (an outage, rate limits) before it answers 503
 * with Retry-After: a request has a caller on the line, unlike a job item, which waits as long as its job allows.
 */
export const ANALYZE_MAX_WAIT_MS = 20_000;

export class InstantOnlyOptionError extends DomainError {
  readonly code = 'invalid_request';
  readonly httpStatus = 400;
}

export interface AnalyzeOptions {
  cacheScope?: CacheScope;
  /** `instant`: a miss is answered within `deadlineMs`, provisionally, while the full analysis is queued. */
  mode?: AnalyzeMode;
  deadlineMs?: number;
  /** `instant`: where the full result is POSTed (signed) once it is in. */
  callbackUrl?: string;
}

/**
 * POST /analyze: one item, on demand, answered in the request — from the cache when it can be. A hit is one
 * Redis GET (a copy of the Postgres entry, written through on first use); its hit count and saving are written
 * to Postgres in batches, so a hit costs no database round trip.
 */
@Injectable()
export class AnalyzeService implements OnApplicationShutdown {
  private readonly hits: AnalyzeHitRecorder;

  constructor(
    private readonly profiles: ProfilesService,
    private readonly cache: AnalysisCacheService,
    private readonly pipeline: PipelineRunner,
    private readonly quotas: QuotaService,
    private readonly clock: Clock,
    private readonly outbound: OutboundPolicy,
    @Inject(REDIS) redis: Redis,
    entries: AnalysisCacheRepository,
    ledger: LedgerService,
    // the API's: a process without it (tests of the wait mode alone) answers instant calls with an error
    @Optional() private readonly instant?: InstantAnalysis,
  ) {
    this.hits = new AnalyzeHitRecorder(redis, entries, ledger);
  }

  async onApplicationShutdown(): Promise<void> {
    this.hits.stop();
    await this.hits.flush();
  }

  /** Writes the hits not recorded yet (tests, shutdown). */
  flushHits(): Promise<void> {
    return this.hits.flush();
  }

  async analyze(principal: Principal, ref: string, input: Record<string, unknown>, options: AnalyzeOptions = {}): Promise<AnalyzeResponse> {
    const started = performance.now();
    if (options.mode !== 'instant' && (options.deadlineMs !== undefined || options.callbackUrl !== undefined))
      throw new InstantOnlyOptionError(`${options.deadlineMs !== undefined ? 'deadlineMs' : 'callbackUrl'} is only for mode "instant"`);
    if (options.callbackUrl) this.outbound.assertAllowed('callbackUrl', options.callbackUrl);
    const { key, version } = parseProfileRef(ref);
    const profile = await this.profiles.resolve(principal.tenantId, key, version);
    const problems = validateItems(profile.inputSchema, [input]);
    if (problems.length) throw new InvalidItemsError(problems.map((p) => p.replace(/^items\.0/, 'input')));
    const scope = requestedScope(profile, options.cacheScope);
    // one item of this month's quota, whether the cache answers or not (as a job's item counts)
    await this.quotas.countAnalyzeItem(principal.tenantId);
    const cacheKey = {
      profileKey: profile.key,
      profileVersion: profile.version,
      scope: cacheScope(scope, principal.tenantId),
      inputHash: inputHash(profile.key, profile.version, input),
    };
    const hot = await this.hits.get(cacheKey).catch(() => null); // Redis trouble: Postgres answers
    if (hot) {
      this.hits.record(cacheKey, principal.tenantId, this.clock.now());
      return { result: hot.output, cached: true, costUsd: 0, provider: hot.provider, model: hot.model, latencyMs: Math.round(performance.now() - started) };
    }
    const stored = await this.cache.lookup(cacheKey, false);
    if (stored) {
      this.hits.record(cacheKey, principal.tenantId, this.clock.now());
      await this.remember(cacheKey, stored);
      return {
        result: stored.output,
        cached: true,
        costUsd: 0,
        provider: stored.provider,
        model: stored.model,
        latencyMs: Math.round(performance.now() - started),
      };
    }
    if (options.mode === 'instant') {
      if (!this.instant) throw new Error('instant analysis is not available in this process');
      return this.instant.answer({
        principal,
        profile,
        input,
        key: cacheKey,
        scope,
        deadlineMs: options.deadlineMs ?? INSTANT_DEADLINE_MS,
        ...(options.callbackUrl ? { callbackUrl: options.callbackUrl } : {}),
        started,
      });
    }
    const limits = await this.quotas.limitsFor(principal.tenantId);
    const waitUntil = performance.now() + ANALYZE_MAX_WAIT_MS;
    const { value, fromCache } = await this.cache.getOrCompute(cacheKey, async () => {
      const r = await this.waitingOut(waitUntil, () =>
        this.pipeline.run(profile, input, {
          tenantId: principal.tenantId,
          userId: principal.userId,
          apiKeyId: principal.apiKeyId,
          attemptKey: `analyze:${randomUUID()}`,
          source: 'analyze',
          allowedTiers: limits.allowedTiers,
        }),
      );
      return {
        output: r.output,
        quality: r.quality,
        model: r.model,
        provider: r.provider,
        originalCostPico: r.costPico,
        counterfactualCostPico: r.counterfactualPico,
        emulated: r.emulated,
      };
    });
    // a result another caller produced meanwhile: its hit is counted already, its saving is not
    if (fromCache) this.hits.record(cacheKey, principal.tenantId, this.clock.now(), true);
    await this.remember(cacheKey, value);
    return {
      result: value.output,
      cached: fromCache,
      costUsd: fromCache ? 0 : picoToUsd(value.originalCostPico),
      provider: value.provider,
      model: value.model,
      latencyMs: Math.round(performance.now() - started),
    };
  }

  /** Runs `work` again while providers are only away for a while and would be back before `until` (performance.now()). */
  private async waitingOut<T>(until: number, work: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await work();
      } catch (err) {
        if (!(err instanceof ProvidersUnavailableError) || performance.now() + err.retryAfterMs > until) throw err;
        await sleep(Math.max(250, err.retryAfterMs));
      }
    }
  }

  /** The Redis copy of an entry Postgres has (a failure only costs the next caller a database read). */
  private async remember(key: CacheKey, v: CachedAnalysis): Promise<void> {
    await this.hits
      .put(key, { output: v.output, quality: v.quality, model: v.model, provider: v.provider, cost: picoToDecimal(v.originalCostPico) })
      .catch(() => undefined);
  }
}
