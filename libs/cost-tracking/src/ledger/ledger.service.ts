import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { COST_GROUP_BY, type CostGroupBy, type CostSummary, type LlmCallView, type Page } from '@margin/contracts';
import { Clock, decodeCursor, encodeCursor, GroupCommit, Listeners, monthPeriodUtc, picoToDecimal, picoToUsd, usdToPico, type PicoUsd } from '@margin/core';
import { LedgerRepository } from './ledger.repository';
import type { LlmCallEntity } from './llm-call.entity';

export interface LedgerEntry {
  /** Stable per provider attempt: the same attempt is never booked twice. */
  attemptId: string;
  tenantId: string;
  apiKeyId?: string | null;
  userId?: string | null;
  jobId?: string | null;
  itemId?: string | null;
  operation: string;
  providerId: string;
  modelId: string;
  usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number; reasoningTokens: number };
  costPico: PicoUsd;
  /** What the policy's premium candidate would have cost for the same usage. */
  premium?: { modelId: string; costPico: PicoUsd } | null;
  latencyMs: number;
  outcome: string;
  errorMessage?: string | null;
  routingReason?: string | null;
  fallbackFrom?: string | null;
  emulated?: boolean;
  /** The A/B arm of the policy cell that served the call, when the cell has a split. */
  abArm?: 'incumbent' | 'challenger' | null;
  complexity?: string | null;
  /** `batch` for a request of a provider batch (default `live`). */
  tier?: 'live' | 'batch';
  at: Date;
}

/** What serving an answer from the cache saved: the cost of producing it. */
export interface SavingEntry {
  /** Stable per saving: the same one is never booked twice. */
  key: string;
  tenantId: string;
  jobId?: string | null;
  itemId?: string | null;
  amountPico: PicoUsd;
  at: Date;
}

/** One UTC day or hour of a tenant's ledger (see LedgerService.buckets). */
export interface LedgerBucket {
  /** The bucket's UTC start, ISO. */
  bucket: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costPico: PicoUsd;
  /** What routing (premium counterfactual) and the cache saved, as in the costs summary's savedUsd. */
  savedPico: PicoUsd;
  qualitySum: number;
  qualityCount: number;
}

function toView(c: LlmCallEntity): LlmCallView {
  return {
    id: c.id,
    jobId: c.jobId,
    itemId: c.itemId,
    operation: c.operation,
    provider: c.providerId,
    model: c.modelId,
    inputTokens: c.inputTokens,
    cachedInputTokens: c.cachedInputTokens,
    outputTokens: c.outputTokens,
    reasoningTokens: c.reasoningTokens,
    costUsd: picoToUsd(usdToPico(c.costUsd)),
    latencyMs: c.latencyMs,
    outcome: c.outcome,
    error: c.errorMessage,
    routingReason: c.routingReason,
    fallbackFrom: c.fallbackFrom,
    emulated: c.emulated,
    tier: c.tier,
    createdAt: c.createdAt.toISOString(),
  };
}

/** Rows per ledger statement: 27 parameters each, well under Postgres' 65,535. */
const LEDGER_BATCH = 500;

@Injectable()
export class LedgerService implements OnApplicationShutdown {
  private readonly logger = new Logger(LedgerService.name);
  /** Every call books a row: concurrent calls share one multi-row INSERT (see GroupCommit). */
  private readonly writes: GroupCommit<Omit<LlmCallEntity, 'id'>, boolean>;
  /** Each attempt once it is committed (never a replayed one): the metrics count calls, tokens and cost here, in memory. */
  readonly booked = new Listeners<LedgerEntry>();

  constructor(
    private readonly repo: LedgerRepository,
    private readonly clock: Clock,
  ) {
    this.writes = new GroupCommit((rows) => this.repo.insertMany(rows), { maxBatch: LEDGER_BATCH, parallel: 2 });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writes.drain();
  }

  /**
   * Books one provider attempt; resolves once its row is committed (with the rows of concurrent calls), false
   * when this attempt id was booked before. Rejects when the row could not be written.
   */
  async record(entry: LedgerEntry): Promise<boolean> {
    const booked = await this.writes.add({
      attemptId: entry.attemptId,
      tenantId: entry.tenantId,
      apiKeyId: entry.apiKeyId ?? null,
      userId: entry.userId ?? null,
      jobId: entry.jobId ?? null,
      itemId: entry.itemId ?? null,
      operation: entry.operation,
      providerId: entry.providerId,
      modelId: entry.modelId,
      inputTokens: entry.usage.inputTokens,
      cachedInputTokens: entry.usage.cachedInputTokens,
      outputTokens: entry.usage.outputTokens,
      reasoningTokens: entry.usage.reasoningTokens,
      costUsd: picoToDecimal(entry.costPico),
      premiumModelId: entry.premium?.modelId ?? null,
      premiumCostUsd: entry.premium ? picoToDecimal(entry.premium.costPico) : null,
      latencyMs: Math.round(entry.latencyMs),
      outcome: entry.outcome,
      errorMessage: entry.errorMessage ?? null,
      quality: null,
      routingReason: entry.routingReason ?? null,
      fallbackFrom: entry.fallbackFrom ?? null,
      emulated: entry.emulated ?? false,
      abArm: entry.abArm ?? null,
      complexity: entry.complexity ?? null,
      tier: entry.tier ?? 'live',
      createdAt: entry.at,
    });
    if (!booked) this.logger.warn({ attemptId: entry.attemptId }, 'Attempt already in the ledger: not booked twice');
    else this.booked.emit(entry);
    return booked;
  }

  /**
   * Records the quality score the pipeline's assess step gave the answer of a booked attempt (the row of that
   * attempt, not a new one: every call stays in the ledger exactly once). Idempotent: a replay sets the same
   * score. Scores are stored with 2 decimals, within ±999.99; false when no such row (of this tenant) exists.
   */
  async recordQuality(tenantId: string, attemptId: string, score: number): Promise<boolean> {
    if (!Number.isFinite(score) || Math.abs(score) >= 1000) {
      this.logger.warn({ attemptId, score }, 'Quality score outside ±999.99: not recorded');
      return false;
    }
    return this.repo.setQuality(tenantId, attemptId, (Math.round(score * 100) / 100).toFixed(2));
  }

  /** Books what the cache saved (the item's original cost), once per key. */
  async recordSaving(entry: SavingEntry): Promise<void> {
    await this.repo.insertSavingOnce({
      key: entry.key,
      tenantId: entry.tenantId,
      jobId: entry.jobId ?? null,
      itemId: entry.itemId ?? null,
      kind: 'cache',
      amountUsd: picoToDecimal(entry.amountPico),
      at: entry.at,
    });
  }

  /** Books many cache savings in one statement, each once per key (a replayed one is not counted twice). */
  async recordSavings(entries: SavingEntry[]): Promise<void> {
    await this.repo.insertSavings(
      entries.map((e) => ({
        key: e.key,
        tenantId: e.tenantId,
        jobId: e.jobId ?? null,
        itemId: e.itemId ?? null,
        kind: 'cache',
        amountUsd: picoToDecimal(e.amountPico),
        at: e.at,
      })),
    );
  }

  /** Exact spend (pico) of a tenant in the calendar month containing `at`, or of one job. */
  async spentPico(tenantId: string, scope: { monthOf: Date } | { jobId: string }): Promise<PicoUsd> {
    if ('jobId' in scope) return usdToPico(await this.repo.sumCost(tenantId, { jobId: scope.jobId }));
    const { start, end } = monthPeriodUtc(scope.monthOf);
    return usdToPico(await this.repo.sumCost(tenantId, { from: start, to: end }));
  }

  async summary(tenantId: string, query: { from?: Date; to?: Date; groupBy?: CostGroupBy }): Promise<CostSummary> {
    const { start } = monthPeriodUtc(this.clock.now());
    const from = query.from ?? start;
    const to = query.to ?? new Date(this.clock.now().getTime() + 1);
    const groupBy = query.groupBy ?? 'model';
    if (!COST_GROUP_BY.includes(groupBy)) throw new Error(`unknown groupBy ${groupBy}`);
    const [totals, groups, cacheSaved] = await Promise.all([
      this.repo.totals(tenantId, from, to),
      this.repo.groups(tenantId, from, to, groupBy),
      this.repo.sumSavings(tenantId, from, to),
    ]);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      totalUsd: picoToUsd(usdToPico(totals.costUsd)),
      savedUsd: picoToUsd(usdToPico(totals.savedUsd) + usdToPico(cacheSaved)),
      savedByRoutingUsd: picoToUsd(usdToPico(totals.savedUsd)),
      savedByCacheUsd: picoToUsd(usdToPico(cacheSaved)),
      calls: totals.calls,
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      rows: groups.map((g) => ({
        key: g.key,
        calls: g.calls,
        inputTokens: g.inputTokens,
        outputTokens: g.outputTokens,
        costUsd: picoToUsd(usdToPico(g.costUsd)),
      })),
    };
  }

  /** Spend, savings, tokens and quality scores per UTC day or hour of [from, to), exact (pico); only buckets with activity. */
  async buckets(tenantId: string, from: Date, to: Date, unit: 'day' | 'hour'): Promise<LedgerBucket[]> {
    const rows = await this.repo.buckets(tenantId, from, to, unit);
    return rows.map((r) => ({
      bucket: r.bucket,
      calls: r.calls,
      inputTokens: Number(r.inputTokens),
      outputTokens: Number(r.outputTokens),
      costPico: usdToPico(r.costUsd),
      savedPico: usdToPico(r.routingSavedUsd) + usdToPico(r.cacheSavedUsd),
      qualitySum: Number(r.qualitySum),
      qualityCount: r.qualityCount,
    }));
  }

  /**
   * Cost against quality per model and operation in [from, to): calls (attempts), exact cost, and the mean of
   * the quality scores the assess steps gave their answers (null when none was scored).
   */
  async modelQuality(
    tenantId: string,
    from: Date,
    to: Date,
  ): Promise<Array<{ model: string; operation: string; calls: number; costPico: PicoUsd; scoredCalls: number; avgQuality: number | null }>> {
    const rows = await this.repo.modelQuality(tenantId, from, to);
    return rows.map((r) => ({
      model: r.model,
      operation: r.operation,
      calls: r.calls,
      costPico: usdToPico(r.costUsd),
      scoredCalls: r.scored,
      avgQuality: r.scored ? Math.round((Number(r.qualitySum) / r.scored) * 100) / 100 : null,
    }));
  }

  /** Per A/B arm of each split policy cell: calls (attempts), failures and exact cost, in [from, to). */
  async armStats(
    tenantId: string,
    from: Date,
    to: Date,
  ): Promise<
    Array<{ operation: string; complexity: string | null; arm: 'incumbent' | 'challenger'; model: string; calls: number; failures: number; costUsd: number }>
  > {
    const rows = await this.repo.armStats(tenantId, from, to);
    return rows.map((r) => ({ ...r, arm: r.arm as 'incumbent' | 'challenger', costUsd: picoToUsd(usdToPico(r.costUsd)) }));
  }

  async calls(tenantId: string, query: { jobId?: string; limit?: number; cursor?: string }): Promise<Page<LlmCallView>> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const rows = await this.repo.page(tenantId, { jobId: query.jobId, limit: limit + 1, after: query.cursor ? decodeCursor(query.cursor) : undefined });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { data: page.map(toView), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }
}
