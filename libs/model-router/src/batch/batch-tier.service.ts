import { createHash } from 'node:crypto';
import { Injectable, Logger, Optional } from '@nestjs/common';
import type { JsonSchema } from '@margin/contracts';
import { BudgetExceededError, BudgetService, LedgerService } from '@margin/cost-tracking';
import { AppConfig, Clock, Listeners, picoToDecimal, usdToPico, type PicoUsd } from '@margin/core';
import { ProviderRegistry, type BatchItemResult, type ChatRequest, type LlmMessage, type LlmProvider } from '@margin/providers';
import { CatalogService } from '../catalog/catalog.service';
import { RoutingPolicyService } from '../policy/routing-policy.service';
import type { ModelEntity } from '../catalog/model.entity';
import { batchWaitMs, chunkRequests, deadlineAllowsBatch, dueGroups, MAX_BATCH_ROUNDS, PROVIDER_BATCH_LIMITS, type FlushPolicy } from './batch-policy';
import { BatchRepository, type BatchRequestRow, type BatchRow } from './batch.repository';
import { DeferredToBatchError } from './deferred-to-batch.error';

/** What a call says about itself to the batch tier (the executor's input, in part). */
export interface BatchCall {
  tenantId: string;
  apiKeyId?: string | null;
  userId?: string | null;
  jobId?: string | null;
  itemId?: string | null;
  jobBudgetPico?: PicoUsd | null;
  operation: string;
  messages: LlmMessage[];
  temperature?: number;
  outputSchema?: { name: string; schema: JsonSchema };
  batch?: { key: string; deadline: Date | null };
}

/** Items whose batch requests reached a final state (they can run on at once). */
export interface BatchRequestsSettled {
  items: Array<{ tenantId: string; jobId: string | null; itemId: string | null }>;
}

/** Of these jobs, the ones no longer wanted (cancelled): their queued requests are never sent. */
export type UnwantedJobs = (jobs: Array<{ tenantId: string; jobId: string }>) => Promise<Set<string>>;

/** A submission not confirmed by the provider within this long was cut off by a crash: it is queued again. */
const STALE_SUBMIT_MS = 10 * 60_000;

/**
 * The deferred tier (docs/batch-tier.md). Calls of work with a far enough deadline are queued here instead of
 * being sent; the worker's poller flushes each model's queue into provider batches (by count and age), polls
 * them, and books every answered request once in the ledger at the batch price, keyed by the request's id, so
 * that a poller restarted half-way (a crash) books nothing twice. The item that made the call finds its answer
 * here when it runs again; requests that failed or expired run live (or, while the deadline allows, in another
 * batch).
 */
@Injectable()
export class BatchTierService {
  private readonly logger = new Logger(BatchTierService.name);
  /** Requests that reached a final state, per poll: the analysis worker wakes their items. */
  readonly settled = new Listeners<BatchRequestsSettled>();
  readonly policy: FlushPolicy;
  /** Set by the analysis worker: which jobs were cancelled (their items must not be charged). */
  private unwanted: UnwantedJobs | undefined;

  constructor(
    private readonly repo: BatchRepository,
    private readonly catalog: CatalogService,
    private readonly registry: ProviderRegistry,
    private readonly ledger: LedgerService,
    private readonly budgets: BudgetService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    // the savings counterfactual (what the operation's premium model would have cost): absent in narrow tests
    @Optional() private readonly routing?: RoutingPolicyService,
  ) {
    this.policy = { maxRequests: config.batch.flushMaxRequests, maxAgeMs: config.batch.flushMaxAgeMs };
  }

  /** The analysis module tells which jobs are cancelled, so that their queued requests are dropped, not sent. */
  setUnwantedJobs(filter: UnwantedJobs): void {
    this.unwanted = filter;
  }

  get pollIntervalMs(): number {
    return this.config.batch.pollIntervalMs;
  }

  /** The call's row key: its place in the item (step, round) and the exact request, whatever model takes it. */
  callKey(call: BatchCall, maxTokens: number): string | null {
    if (!call.batch) return null;
    const digest = createHash('sha256')
      .update(JSON.stringify([call.messages, call.outputSchema ?? null, maxTokens, call.temperature ?? null]))
      .digest('hex')
      .slice(0, 24);
    return `${call.batch.key}:${digest}`.slice(0, 400);
  }

  async lookup(call: BatchCall, maxTokens: number): Promise<BatchRequestRow | null> {
    const key = this.callKey(call, maxTokens);
    return key ? this.repo.findByKey(key) : null;
  }

  /** Whether this candidate can take the call in the batch tier now: deadline, batch API, batch price. */
  eligible(call: BatchCall, model: ModelEntity, provider: LlmProvider): boolean {
    if (!call.batch || !provider.batch) return false;
    const now = this.clock.now();
    if (!deadlineAllowsBatch(call.batch.deadline, now, this.config.batch.minWindowSeconds)) return false;
    return this.catalog.batchPriceAt(model.id, now) !== undefined;
  }

  /**
   * Queues the call for `model`'s next batch. Null when it cannot go (the batch queue is full, the budget
   * refuses its worst case): the caller runs it live.
   */
  async enqueue(
    call: BatchCall,
    model: ModelEntity,
    request: ChatRequest,
    tokens: number,
    estimatePico: PicoUsd,
    complexity: string,
  ): Promise<BatchRequestRow | null> {
    const key = this.callKey(call, request.maxTokens ?? 0);
    if (!key) return null;
    try {
      // the worst case must fit the budgets now; the real (half-price) cost is booked when the answer lands
      const hold = await this.budgets.reserve(
        { tenantId: call.tenantId, job: call.jobId ? { id: call.jobId, limitPico: call.jobBudgetPico ?? null } : undefined },
        estimatePico,
      );
      await this.budgets.release(hold);
    } catch (err) {
      if (err instanceof BudgetExceededError) return null;
      throw err;
    }
    const row = await this.repo.enqueue(
      {
        callKey: key,
        tenantId: call.tenantId,
        apiKeyId: call.apiKeyId ?? null,
        userId: call.userId ?? null,
        jobId: call.jobId ?? null,
        itemId: call.itemId ?? null,
        operation: call.operation,
        complexity,
        providerId: model.providerId,
        modelId: model.id,
        request,
        estimatedTokens: tokens,
        deadline: call.batch?.deadline ?? null,
        createdAt: this.clock.now(),
      },
      model.batchQueueTokens,
    );
    if (!row) this.logger.debug({ model: model.id }, 'batch queue full: the call runs live');
    return row;
  }

  /** The error that parks the item until its request has an answer. */
  deferred(row: BatchRequestRow, batchWaits = 0): DeferredToBatchError {
    const waitMs = batchWaitMs(this.pollIntervalMs, batchWaits);
    return new DeferredToBatchError(row.id, row.modelId, row.state, waitMs, new Date(this.clock.now().getTime() + waitMs));
  }

  /** Flushes every model queue that is due (full, or its oldest request old enough). Returns the batches sent. */
  async flush(): Promise<number> {
    const now = this.clock.now();
    let sent = 0;
    for (const group of dueGroups(await this.repo.queuedGroups(), now, this.policy)) {
      const provider = this.registry.adapter(group.providerId);
      const limits = PROVIDER_BATCH_LIMITS[provider?.kind ?? ''] ?? PROVIDER_BATCH_LIMITS['openai'];
      if (!provider?.batch || !limits) continue;
      // a group may hold more than one batch's worth: flush until what is left is no longer due
      for (let left = group.count; left > 0;) {
        const claimed = await this.repo.claim(group.providerId, group.modelId, Math.min(this.policy.maxRequests, limits.maxRequests), this.clock.now());
        if (!claimed) break;
        left -= claimed.requests.length;
        const wanted = await this.dropUnwanted(claimed.requests);
        if (wanted.length === 0) {
          await this.repo.end(claimed.batch.id, 'nothing to send', this.clock.now());
          continue;
        }
        const [first, ...rest] = chunkRequests(wanted, (r) => JSON.stringify(r.request).length, limits);
        if (rest.length > 0) this.logger.warn({ model: group.modelId }, 'batch larger than the provider accepts in bytes: sending the first part');
        for (const r of rest.flat()) await this.repo.requeue(r.id, this.clock.now());
        await this.submit(provider, claimed.batch, first ?? []);
        sent++;
        if (left < this.policy.maxRequests) break;
      }
    }
    return sent;
  }

  /** Requests of cancelled jobs fail here, unsent and unbooked (a cancelled job's waiting items cost nothing). */
  private async dropUnwanted(requests: BatchRequestRow[]): Promise<BatchRequestRow[]> {
    if (!this.unwanted) return requests;
    const jobs = [...new Map(requests.filter((r) => r.jobId).map((r) => [r.jobId as string, { tenantId: r.tenantId, jobId: r.jobId as string }])).values()];
    if (jobs.length === 0) return requests;
    const cancelled = await this.unwanted(jobs);
    const keep: BatchRequestRow[] = [];
    for (const r of requests) {
      if (r.jobId && cancelled.has(r.jobId)) await this.repo.fail(r.id, 'canceled', 'the job was cancelled before its batch was sent', false, this.clock.now());
      else keep.push(r);
    }
    return keep;
  }

  private async submit(provider: LlmProvider, batch: BatchRow, requests: BatchRequestRow[]): Promise<void> {
    const api = provider.batch;
    if (!api) return;
    try {
      const { remoteId } = await api.submit(
        requests.map((r) => ({ customId: r.id, request: r.request })),
        { metadata: { margin_batch_id: batch.id }, timeoutMs: 120_000 },
      );
      const now = this.clock.now();
      await this.repo.markSubmitted(batch.id, remoteId, now, new Date(now.getTime() + this.pollIntervalMs));
      this.logger.log({ batchId: batch.id, remoteId, model: batch.modelId, requests: requests.length }, 'Batch submitted');
    } catch (err) {
      this.logger.warn({ batchId: batch.id, model: batch.modelId }, `Batch submission failed: ${(err as Error).message}`);
      await this.repo.markSubmitFailed(batch.id, (err as Error).message, this.clock.now());
      this.settled.emit({ items: requests.map((r) => ({ tenantId: r.tenantId, jobId: r.jobId, itemId: r.itemId })) });
    }
  }

  /** Looks at every batch due for a poll; ended ones are downloaded and booked. Returns the batches that ended. */
  async poll(): Promise<number> {
    const now = this.clock.now();
    let ended = 0;
    for (const batch of await this.repo.due(now, new Date(now.getTime() - STALE_SUBMIT_MS))) {
      try {
        if (batch.state === 'submitting') {
          this.logger.warn({ batchId: batch.id }, 'Batch submission left half-way: its requests are queued again');
          await this.repo.abandonSubmission(batch.id, now);
          continue;
        }
        if (await this.pollOne(batch)) ended++;
      } catch (err) {
        this.logger.warn({ batchId: batch.id, remoteId: batch.remoteId }, `Batch poll failed: ${(err as Error).message}`);
        await this.repo.touch(batch.id, batch.remoteStatus ?? 'unknown', new Date(this.clock.now().getTime() + this.pollIntervalMs));
      }
    }
    return ended;
  }

  private async pollOne(batch: BatchRow): Promise<boolean> {
    const provider = this.registry.adapter(batch.providerId);
    if (!provider?.batch || !batch.remoteId) throw new Error(`provider ${batch.providerId} has no batch API`);
    const status = await provider.batch.status(batch.remoteId, { timeoutMs: 30_000 });
    if (status.state !== 'ended') {
      await this.repo.touch(batch.id, status.detail, new Date(this.clock.now().getTime() + this.pollIntervalMs));
      return false;
    }
    const requests = (await this.repo.requestsOf(batch.id)).filter((r) => r.state === 'submitted');
    const byId = new Map(requests.map((r) => [r.id, r]));
    const results = await provider.batch.results(batch.remoteId, new Map(requests.map((r) => [r.id, r.request])), { timeoutMs: 300_000 });
    for (const result of results) {
      const row = byId.get(result.customId);
      if (row) await this.settle(batch, row, result);
    }
    await this.repo.end(batch.id, status.detail, this.clock.now());
    this.logger.log({ batchId: batch.id, remoteId: batch.remoteId, status: status.detail, requests: requests.length }, 'Batch ended');
    this.settled.emit({ items: requests.map((r) => ({ tenantId: r.tenantId, jobId: r.jobId, itemId: r.itemId })) });
    return true;
  }

  /**
   * One request's answer: booked (ledger row keyed by the request id, so a second download books nothing), then
   * marked. A failure is booked at $0 under a key of its own round, then marked, retried live by its item, or
   * queued again while the deadline allows another round.
   */
  private async settle(batch: BatchRow, row: BatchRequestRow, r: BatchItemResult): Promise<void> {
    const at = batch.submittedAt ?? row.createdAt;
    const base = {
      tenantId: row.tenantId,
      apiKeyId: row.apiKeyId,
      userId: row.userId,
      jobId: row.jobId,
      itemId: row.itemId,
      operation: row.operation,
      providerId: row.providerId,
      modelId: row.modelId,
      routingReason: `batch tier: ${row.modelId} in batch ${batch.remoteId ?? batch.id}`,
      complexity: row.complexity,
      tier: 'batch' as const,
      at,
    };
    if (r.outcome === 'succeeded') {
      const costPico = this.catalog.batchCostOf(row.modelId, r.result.usage, at).totalPico;
      const premiumId = this.routing?.premiumCounterfactual(row.tenantId, row.operation) ?? null;
      const premium =
        premiumId && this.catalog.priceAt(premiumId, at)
          ? { modelId: premiumId, costPico: this.catalog.costOf(premiumId, r.result.usage, at).totalPico }
          : null;
      const fresh = await this.ledger.record({
        ...base,
        premium,
        attemptId: `batch:${row.id}`,
        usage: r.result.usage,
        costPico,
        latencyMs: Math.max(0, this.clock.now().getTime() - at.getTime()),
        outcome: 'success',
        emulated: r.result.emulated,
      });
      if (fresh && costPico > 0n) {
        // the spend joins the budgets once (a replayed download books nothing); a $0 hold always passes
        const hold = await this.budgets.reserve({ tenantId: row.tenantId, job: row.jobId ? { id: row.jobId, limitPico: null } : undefined }, 0n);
        await this.budgets.settle({ tenantId: row.tenantId }, hold, costPico);
      }
      await this.repo.succeed(row.id, r.result, picoToDecimal(costPico), this.clock.now());
      return;
    }
    await this.ledger.record({
      ...base,
      attemptId: `batch:${row.id}:r${row.rounds}`,
      usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 },
      costPico: 0n,
      latencyMs: 0,
      outcome: r.outcome,
      errorMessage: r.error,
    });
    const again =
      (r.outcome === 'expired' || r.outcome === 'canceled') &&
      row.rounds + 1 < MAX_BATCH_ROUNDS &&
      deadlineAllowsBatch(row.deadline, this.clock.now(), this.config.batch.minWindowSeconds);
    if (again) await this.repo.requeue(row.id, this.clock.now());
    else await this.repo.fail(row.id, r.outcome, r.error, r.retryable, this.clock.now());
  }

  /** The booked cost of an answered request. */
  costOf(row: BatchRequestRow): PicoUsd {
    return row.costUsd === null ? 0n : usdToPico(row.costUsd);
  }
}
