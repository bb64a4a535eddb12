import { Injectable, Logger, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { AnalysisItemPayload } from '@margin/contracts';
import { BudgetExceededError, LedgerService } from '@margin/cost-tracking';
import type { ModelTier } from '@margin/contracts';
import { AppConfig, Clock, picoToDecimal, picoToUsd, ttlCache, usdToPico, validatePayload } from '@margin/core';
import { TenantRepository } from '@margin/identity';
import { ContextLengthExceededError, DeferredToBatchError, LlmCallFailedError, ProvidersUnavailableError } from '@margin/model-router';
import { IsInt, IsOptional, IsUUID, Min } from 'class-validator';
import { AnalysisCacheService, cacheScope } from '../cache/analysis-cache.service';
import { PipelineInputError, PipelineOutputError } from '../pipeline/pipeline.errors';
import { PipelineRunner } from '../pipeline/pipeline-runner';
import { EnhancementNotifier } from './instant/enhancement-notifier';
import { ItemStepCheckpoints } from '../pipeline/step-checkpoints';
import type { PipelineResult } from '../pipeline/pipeline.types';
import { ProfilesService } from '../profiles/profiles.service';
import { ProgressPublisher } from '../progress/progress.publisher';
import { QuotaService } from '../quotas/quota.service';
import { JobSettingsService } from '../job-settings/job-settings.service';
import { ItemCompletedListener } from './job-hooks';
import { JobFeeder } from './job-feeder';
import { toCounters } from './job-views';
import { JobsRepository, type ClaimedItem, type FinalOutcome } from './jobs.repository';
import { decideWait, OutageRequeue } from './outage-wait';
import { RunSlots } from './run-slots';

class AnalysisItemCommand implements AnalysisItemPayload {
  @IsUUID() tenantId!: string;
  @IsUUID() jobId!: string;
  @IsUUID() itemId!: string;
  @IsOptional() @IsInt() @Min(0) spentAttempts?: number;
}

/** Delivery of one item by the queue: which attempt this is, and how many there can be. */
export interface Delivery {
  attemptsMade: number;
  maxAttempts: number;
  /** Bull priority (1 highest): who gets the next model slot first. */
  priority?: number;
}

/** Errors another attempt cannot fix: the item fails at once. */
function isFinal(err: unknown): boolean {
  if (
    err instanceof BudgetExceededError ||
    err instanceof PipelineInputError ||
    err instanceof PipelineOutputError ||
    err instanceof ContextLengthExceededError
  )
    return true;
  if (err instanceof LlmCallFailedError) return err.kind === 'auth' || err.kind === 'bad_request';
  return false;
}

/** The job was cancelled while the item waited for a model slot. */
class CancelledWhileWaiting extends Error {}

/** A plan's tiers change rarely (an operator's edit): read at most this often per tenant, like budgets (30 s). */
const TIERS_TTL_MS = 30_000;

/**
 * One item's path (docs/architecture.md): skip if cancelled → cache (hit: done at $0, saving recorded) → single-flight
 * → the profile's pipeline (routing, budgets, ledger per call) → cache the result → item done, job counters
 * updated atomically → progress published. Replays of a delivery never count or book twice.
 *
 * The queue hands a process more items than it runs at once (see RunSlots): an item is claimed and looked up
 * in the cache while others are at the model, takes a slot only for its pipeline, and gives the slot back as
 * soon as the model has answered — its bookkeeping (ledger, cache, counters, progress) runs while the next
 * item is already at the model. The delivery is acknowledged only once all of it has committed.
 */
@Injectable()
export class ItemRunner {
  private readonly logger = new Logger(ItemRunner.name);
  readonly slots: RunSlots;
  private readonly tiers = ttlCache<string, { tiers: ModelTier[] | undefined }>({ max: 10_000, ttlMs: TIERS_TTL_MS });

  constructor(
    private readonly repo: JobsRepository,
    private readonly profiles: ProfilesService,
    private readonly cache: AnalysisCacheService,
    private readonly pipeline: PipelineRunner,
    private readonly quotas: QuotaService,
    private readonly tenants: TenantRepository,
    private readonly ledger: LedgerService,
    private readonly progress: ProgressPublisher,
    private readonly feeder: JobFeeder,
    private readonly settings: JobSettingsService,
    private readonly requeue: OutageRequeue,
    private readonly checkpoints: ItemStepCheckpoints,
    private readonly clock: Clock,
    config: AppConfig,
    // publishing turns completed blog-post items into posts; absent where it does not run (see job-hooks.ts)
    @Optional() private readonly moduleRef?: ModuleRef,
    // instant analyses' callers are told when their full result is in (the worker has it; see EnhancementNotifier)
    @Optional() private readonly enhancements?: EnhancementNotifier,
  ) {
    this.slots = new RunSlots(config.workerConcurrency);
  }

  private listener(): ItemCompletedListener | undefined {
    try {
      return this.moduleRef?.get(ItemCompletedListener, { strict: false });
    } catch {
      return undefined;
    }
  }

  async run(data: unknown, delivery: Delivery): Promise<void> {
    const { tenantId, jobId, itemId, spentAttempts = 0 } = validatePayload(AnalysisItemCommand, data, 'analysis item payload');
    const claimed = await this.repo.claimItem(tenantId, jobId, itemId, this.clock.now());
    if (!claimed?.item || this.repo.isTerminal(claimed.item.status)) return;
    const { job, item, run } = claimed;
    if (!run) {
      if (job.status === 'cancelled') await this.finish(tenantId, jobId, itemId, item.index, { status: 'cancelled', at: this.clock.now() });
      return;
    }

    let multiStep = false;
    try {
      const profile = await this.profiles.resolve(tenantId, job.profileKey, job.profileVersion);
      multiStep = profile.steps.length > 1;
      const allowedTiers = await this.allowedTiers(tenantId);
      const batch = await this.batchTier(tenantId, job);
      const key = {
        profileKey: profile.key,
        profileVersion: profile.version,
        scope: cacheScope(job.cacheScope ?? profile.cacheScope, tenantId),
        inputHash: run.inputHash,
      };
      let ranModel: string | null = null;
      let routingSavedPico = 0n;
      const { value, fromCache } = await this.cache.getOrCompute(
        key,
        async () => {
          const slot = await this.slots.acquire(delivery.priority ?? 0, tenantId);
          // A cancel while this item waited must not cost anything: the job's status is read while the call is
          // prepared (routing, limiter, budget) and the request is sent only once it says the job is still wanted.
          const stillWanted = slot.waited
            ? this.repo.jobStatus(tenantId, jobId).then((status) => {
                if (status === 'cancelled') throw new CancelledWhileWaiting();
              })
            : null;
          stillWanted?.catch(() => undefined); // observed by the pipeline's first call, or below
          let r: PipelineResult;
          try {
            r = await this.pipeline.run(profile, run.input, {
              tenantId,
              jobId,
              itemId,
              userId: job.createdByUserId,
              apiKeyId: job.createdByApiKeyId,
              jobBudgetPico: job.budgetUsd === null ? null : usdToPico(job.budgetUsd),
              // Each wait is a new queue entry whose deliveries count from 0 again: its calls get ids of their own.
              attemptKey: run.waits === 0 ? `${itemId}:${delivery.attemptsMade}` : `${itemId}:w${run.waits}.${delivery.attemptsMade}`,
              allowedTiers,
              ...(job.stepModels ? { stepModels: job.stepModels } : {}),
              ...(batch ? { batch } : {}),
              settleInBackground: true,
              ...(multiStep ? { checkpoints: this.checkpoints.forItem(itemId) } : {}),
              ...(stillWanted ? { beforeDispatch: () => stillWanted } : {}),
            });
          } catch (err) {
            // Cancelled meanwhile: that is the outcome, whatever stopped the pipeline first.
            if (
              stillWanted &&
              (await stillWanted.then(
                () => false,
                (e: unknown) => e instanceof CancelledWhileWaiting,
              ))
            )
              throw new CancelledWhileWaiting();
            throw err;
          } finally {
            slot.release();
          }
          // Booked before the result is cached or the item counted: an unbooked call fails the attempt.
          await r.settled;
          ranModel = r.model;
          routingSavedPico = r.savedPico;
          return {
            output: r.output,
            quality: r.quality,
            model: r.model,
            provider: r.provider,
            originalCostPico: r.costPico,
            counterfactualCostPico: r.counterfactualPico,
            emulated: r.emulated,
          };
        },
        undefined,
        { lockWithLookup: true },
      );
      const now = this.clock.now();
      // Savings (docs/metrics.md): a hit saves what the counterfactual would have cost to produce the result (booked
      // once per item); a run saves what routing saved on its calls (booked with each call in the ledger).
      const savedPico = fromCache ? value.counterfactualCostPico : routingSavedPico;
      if (fromCache && savedPico > 0n) {
        await this.ledger.recordSaving({ key: `cache:${itemId}`, tenantId, jobId, itemId, amountPico: savedPico, at: now });
      }
      await this.finish(tenantId, jobId, itemId, item.index, {
        status: 'completed',
        result: value.output,
        cached: fromCache,
        costUsd: fromCache ? '0' : picoToDecimal(value.originalCostPico),
        savedUsd: picoToDecimal(savedPico),
        model: ranModel ?? value.model,
        at: now,
      });
      if (multiStep) await this.checkpoints.clear(itemId);
    } catch (err) {
      if (err instanceof CancelledWhileWaiting) {
        await this.finish(tenantId, jobId, itemId, item.index, { status: 'cancelled', at: this.clock.now() });
        return;
      }
      if (err instanceof DeferredToBatchError) {
        await this.waitForBatch(tenantId, jobId, itemId, job, run, err, spentAttempts + delivery.attemptsMade);
        return;
      }
      if (err instanceof ProvidersUnavailableError) {
        await this.waitForProviders(tenantId, jobId, itemId, item.index, job, run, err, spentAttempts + delivery.attemptsMade);
        return;
      }
      // The item's own attempts, across the queue entries of its waits (a wait is not one).
      const last = spentAttempts + delivery.attemptsMade + 1 >= delivery.maxAttempts || isFinal(err);
      this.logger.warn({ tenantId, jobId, itemId, attempt: delivery.attemptsMade + 1, final: last }, `Item failed: ${(err as Error).message}`);
      if (!last) throw err; // the queue retries it with backoff (its answered steps kept for the next attempt)
      await this.finish(tenantId, jobId, itemId, item.index, { status: 'failed', error: (err as Error).message.slice(0, 2000), at: this.clock.now() });
      if (multiStep) await this.checkpoints.clear(itemId);
    }
  }

  /**
   * No provider can take the item's calls for now (outage, rate limits, open circuits): it runs again when
   * the earliest may be back, its attempt given back, and the job says it waits — or, past the job's
   * patience, it fails saying why.
   */
  private async waitForProviders(
    tenantId: string,
    jobId: string,
    itemId: string,
    index: number,
    job: ClaimedItem['job'],
    run: NonNullable<ClaimedItem['run']>,
    err: ProvidersUnavailableError,
    /** Attempts the item failed on its own so far: the next entry carries them. */
    spentAttempts: number,
  ): Promise<void> {
    const now = this.clock.now();
    const patienceSeconds = await this.settings.patienceSeconds(tenantId, job.maxWaitSeconds);
    const decision = decideWait({ now, waitingSince: run.waitingSince, patienceSeconds, retryAt: err.retryAt, reason: err.reason });
    if (decision.kind === 'give-up') {
      this.logger.warn({ tenantId, jobId, itemId }, decision.message);
      await this.finish(tenantId, jobId, itemId, index, { status: 'failed', error: decision.message.slice(0, 2000), at: now });
      return;
    }
    // Queued before it is marked: should this process die in between, the item still runs again.
    await this.requeue.putBack(tenantId, jobId, job.priority, { id: itemId, attempts: run.attempts, waits: run.waits + 1, spentAttempts }, decision.delayMs);
    const waits = await this.repo.markWaiting(tenantId, jobId, itemId, { at: now, until: decision.until, reason: err.reason });
    if (waits === null) return;
    this.logger.log({ tenantId, jobId, itemId, waits, retryInMs: decision.delayMs }, `Item waits for a provider: ${err.reason}`);
    await this.progress.jobProgress(tenantId, jobId, async () => {
      const fresh = await this.repo.findJob(tenantId, jobId);
      if (!fresh) throw new Error(`job ${jobId} is gone`);
      return toCounters(fresh, this.clock.now());
    });
  }

  /**
   * The job's batch tier: its own deadline, or deferrable (itself or by its tenant's default) without one;
   * undefined when it runs live only. Whether a deadline is far enough away is the executor's call, per request.
   */
  private async batchTier(tenantId: string, job: ClaimedItem['job']): Promise<{ deadline: Date | null } | undefined> {
    if (job.deadline) return { deadline: job.deadline };
    const deferrable = job.deferrable ?? (await this.settings.deferrable(tenantId));
    return deferrable ? { deadline: null } : undefined;
  }

  /**
   * The item's call waits in a provider batch: the item goes back to the queue until the poller may have its
   * answer (its attempt given back; a batch wait is not the item's fault), and the job says what it waits for.
   */
  private async waitForBatch(
    tenantId: string,
    jobId: string,
    itemId: string,
    job: ClaimedItem['job'],
    run: NonNullable<ClaimedItem['run']>,
    err: DeferredToBatchError,
    spentAttempts: number,
  ): Promise<void> {
    const now = this.clock.now();
    await this.requeue.putBack(tenantId, jobId, job.priority, { id: itemId, attempts: run.attempts, waits: run.waits + 1, spentAttempts }, err.retryAfterMs);
    const reason = `in the batch tier of ${err.modelId} (${err.state})`;
    const waits = await this.repo.markWaiting(tenantId, jobId, itemId, { at: now, until: err.retryAt, reason });
    if (waits === null) return;
    this.logger.debug({ tenantId, jobId, itemId, request: err.requestId, retryInMs: err.retryAfterMs }, 'Item waits for its batch');
    await this.progress.jobProgress(tenantId, jobId, async () => {
      const fresh = await this.repo.findJob(tenantId, jobId);
      if (!fresh) throw new Error(`job ${jobId} is gone`);
      return toCounters(fresh, this.clock.now());
    });
  }

  /** The model tiers the tenant's plan allows (undefined: the tenant is gone, no restriction known). */
  private async allowedTiers(tenantId: string): Promise<ModelTier[] | undefined> {
    const hit = this.tiers.get(tenantId);
    if (hit) return hit.tiers;
    const tenant = await this.tenants.findById(tenantId);
    const tiers = tenant ? (await this.quotas.limits(tenant.plan)).allowedTiers : undefined;
    this.tiers.set(tenantId, { tiers });
    return tiers;
  }

  private async finish(tenantId: string, jobId: string, itemId: string, index: number, outcome: FinalOutcome): Promise<void> {
    const result = await this.repo.finishItem(tenantId, jobId, itemId, outcome);
    const job = result.job;
    if (!result.changed || !job) return;
    await this.progress.itemCompleted(tenantId, {
      jobId,
      itemId,
      index,
      status: outcome.status,
      cached: outcome.cached ?? false,
      costUsd: picoToUsd(usdToPico(outcome.costUsd ?? '0')),
    });
    if (outcome.status === 'completed' && job.publish) {
      const listener = this.listener();
      // After the commit, best effort: the publishing module's catch-up sweep finds what this misses.
      if (listener)
        await listener
          .itemCompleted({ tenantId, jobId, itemId, profileKey: job.profileKey, publish: job.publish })
          .catch((err: Error) => this.logger.warn({ tenantId, jobId, itemId }, `Item completed listener failed: ${err.message}`));
    }
    if (job.origin === 'instant' && this.enhancements) {
      // after the commit; should this fail or the worker die here, the notifier's sweep tells them
      await this.enhancements
        .itemFinished(tenantId, itemId)
        .catch((err: Error) => this.logger.warn({ tenantId, jobId, itemId }, `Instant analysis not told yet: ${err.message}`));
    }
    if (result.finished) await this.progress.jobCompleted(tenantId, toCounters(job, this.clock.now()));
    else {
      await this.progress.jobProgress(tenantId, jobId, async () => toCounters((await this.repo.findJob(tenantId, jobId)) ?? job, this.clock.now()));
      if (job.status !== 'cancelled') await this.feeder.feed(tenantId, jobId, job.priority);
    }
  }
}
