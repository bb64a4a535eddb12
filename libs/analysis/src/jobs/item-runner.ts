import { Injectable, Logger } from '@nestjs/common';
import type { AnalysisItemPayload } from '@margin/contracts';
import { BudgetExceededError, LedgerService } from '@margin/cost-tracking';
import { Clock, picoToDecimal, picoToUsd, usdToPico, validatePayload } from '@margin/core';
import { TenantRepository } from '@margin/identity';
import { LlmCallFailedError } from '@margin/model-router';
import { IsUUID } from 'class-validator';
import { AnalysisCacheService, cacheScope } from '../cache/analysis-cache.service';
import { PipelineInputError, PipelineOutputError } from '../pipeline/pipeline.errors';
import { PipelineRunner } from '../pipeline/pipeline-runner';
import { ProfilesService } from '../profiles/profiles.service';
import { ProgressPublisher } from '../progress/progress.publisher';
import { QuotaService } from '../quotas/quota.service';
import { JobFeeder } from './job-feeder';
import { toCounters } from './job-views';
import { JobsRepository, type ItemOutcome } from './jobs.repository';

class AnalysisItemCommand implements AnalysisItemPayload {
  @IsUUID() tenantId!: string;
  @IsUUID() jobId!: string;
  @IsUUID() itemId!: string;
}

/** Delivery of one item by the queue: which attempt this is, and how many there can be. */
export interface Delivery {
  attemptsMade: number;
  maxAttempts: number;
}

/** Errors another attempt cannot fix: the item fails at once. */
function isFinal(err: unknown): boolean {
  if (err instanceof BudgetExceededError || err instanceof PipelineInputError || err instanceof PipelineOutputError) return true;
  if (err instanceof LlmCallFailedError) return err.kind === 'auth' || err.kind === 'bad_request';
  return false;
}

/**
 * One item's path (DESIGN.md): skip if cancelled → cache (hit: done at $0, saving recorded) → single-flight
 * → the profile's pipeline (routing, budgets, ledger per call) → cache the result → item done, job counters
 * updated atomically → progress published. Replays of a delivery never count or book twice.
 */
@Injectable()
export class ItemRunner {
  private readonly logger = new Logger(ItemRunner.name);

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
    private readonly clock: Clock,
  ) {}

  async run(data: unknown, delivery: Delivery): Promise<void> {
    const { tenantId, jobId, itemId } = validatePayload(AnalysisItemCommand, data, 'analysis item payload');
    const [job, item] = await Promise.all([this.repo.findJob(tenantId, jobId), this.repo.findItem(tenantId, itemId)]);
    if (!job || !item || item.jobId !== jobId || this.repo.isTerminal(item.status)) return;
    if (job.status === 'cancelled') {
      await this.finish(tenantId, item.jobId, item.id, item.index, { status: 'cancelled', at: this.clock.now() });
      return;
    }
    if (!(await this.repo.markRunning(tenantId, jobId, itemId, this.clock.now()))) return;

    try {
      const profile = await this.profiles.resolve(tenantId, job.profileKey, job.profileVersion);
      const tenant = await this.tenants.findById(tenantId);
      const limits = tenant ? await this.quotas.limits(tenant.plan) : undefined;
      const key = { profileKey: profile.key, profileVersion: profile.version, scope: cacheScope(profile.cacheScope, tenantId), inputHash: item.inputHash };
      let ranModel: string | null = null;
      const { value, fromCache } = await this.cache.getOrCompute(key, async () => {
        const r = await this.pipeline.run(profile, item.input, {
          tenantId,
          jobId,
          itemId,
          userId: job.createdByUserId,
          apiKeyId: job.createdByApiKeyId,
          jobBudgetPico: job.budgetUsd === null ? null : usdToPico(job.budgetUsd),
          attemptKey: `${itemId}:${delivery.attemptsMade}`,
          allowedTiers: limits?.allowedTiers,
        });
        ranModel = r.model;
        return { output: r.output, quality: r.quality, model: r.model, provider: r.provider, originalCostPico: r.costPico, emulated: r.emulated };
      });
      const now = this.clock.now();
      if (fromCache && value.originalCostPico > 0n) {
        await this.ledger.recordSaving({ key: `cache:${itemId}`, tenantId, jobId, itemId, amountPico: value.originalCostPico, at: now });
      }
      await this.finish(tenantId, jobId, itemId, item.index, {
        status: 'completed',
        result: value.output,
        cached: fromCache,
        costUsd: fromCache ? '0' : picoToDecimal(value.originalCostPico),
        savedUsd: fromCache ? picoToDecimal(value.originalCostPico) : '0',
        model: ranModel ?? value.model,
        at: now,
      });
    } catch (err) {
      const last = delivery.attemptsMade + 1 >= delivery.maxAttempts || isFinal(err);
      this.logger.warn({ tenantId, jobId, itemId, attempt: delivery.attemptsMade + 1, final: last }, `Item failed: ${(err as Error).message}`);
      if (!last) throw err; // the queue retries it with backoff
      await this.finish(tenantId, jobId, itemId, item.index, { status: 'failed', error: (err as Error).message.slice(0, 2000), at: this.clock.now() });
    }
  }

  private async finish(tenantId: string, jobId: string, itemId: string, index: number, outcome: Parameters<JobsRepository['finishItem']>[3]): Promise<ItemOutcome> {
    const result = await this.repo.finishItem(tenantId, jobId, itemId, outcome);
    if (!result.changed) return result;
    await this.progress.itemCompleted(tenantId, {
      jobId,
      itemId,
      index,
      status: outcome.status,
      cached: outcome.cached ?? false,
      costUsd: picoToUsd(usdToPico(outcome.costUsd ?? '0')),
    });
    if (result.finished) await this.progress.jobCompleted(tenantId, toCounters(result.job, this.clock.now()));
    else {
      await this.progress.jobProgress(tenantId, jobId, async () => toCounters((await this.repo.findJob(tenantId, jobId)) ?? result.job, this.clock.now()));
      if (result.job.status !== 'cancelled') await this.feeder.feed(tenantId, jobId, result.job.priority);
    }
    return result;
  }
}
