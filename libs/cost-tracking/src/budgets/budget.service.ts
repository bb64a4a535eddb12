import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EVENTS_CHANNEL, type BudgetAlertEvent, type BudgetView, type UpdateBudgetRequest } from '@margin/contracts';
import { ChangeFeed, Clock, DomainError, monthPeriodUtc, picoToDecimal, picoToUsd, REDIS, ttlCache, usdToPico, type PicoUsd } from '@margin/core';
import type Redis from 'ioredis';
import { LedgerService } from '../ledger/ledger.service';
import type { BudgetEntity } from './budget.entity';
import { BudgetRepository } from './budget.repository';
import { BudgetReservations, type BudgetScope, type Reservation } from './budget-reservations';

/** A call's worst case does not fit a budget with a hard stop. Maps to 429 and names the budget. */
export class BudgetExceededError extends DomainError {
  readonly code = 'budget_exceeded';
  readonly httpStatus = 429;
  constructor(
    readonly budget: string,
    message: string,
    override readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface CallBudgetContext {
  tenantId: string;
  /** Per-job budget, when the call belongs to a job that has one. */
  job?: { id: string; limitPico: PicoUsd | null };
}

const DEFAULT_THRESHOLDS = ['0.5', '0.8', '1'];
const TOPIC = 'budgets';
const CACHE_MS = 30_000;

function periodKey(at: Date): string {
  return at.toISOString().slice(0, 7);
}

@Injectable()
export class BudgetService implements OnModuleInit {
  private readonly logger = new Logger(BudgetService.name);

  constructor(
    private readonly repo: BudgetRepository,
    private readonly reservations: BudgetReservations,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly changes: ChangeFeed,
  ) {}

  /** Budgets change rarely and are read on every call: kept in memory, dropped everywhere on change. */
  private readonly cache = ttlCache<string, { budget: BudgetEntity | null }>({ max: 10_000, ttlMs: CACHE_MS });

  async onModuleInit(): Promise<void> {
    await this.changes.subscribe(TOPIC, () => this.cache.clear());
  }

  private async config(tenantId: string): Promise<BudgetEntity | null> {
    const hit = this.cache.get(tenantId);
    if (hit) return hit.budget;
    const budget = await this.repo.find(tenantId);
    this.cache.set(tenantId, { budget });
    return budget;
  }

  /** The tenant's monthly budget, counted in Redis only when it has a limit (alerts or a hard stop need the running total). */
  private tenantScope(tenantId: string, at: Date, budget: BudgetEntity | null): BudgetScope | null {
    if (!budget?.monthlyLimitUsd) return null;
    return {
      key: `t:${tenantId}:${periodKey(at)}`,
      limitPico: budget.hardStop ? usdToPico(budget.monthlyLimitUsd) : null,
      loadSpent: () => this.ledger.spentPico(tenantId, { monthOf: at }),
      name: 'monthly tenant budget',
    };
  }

  private async scopes(ctx: CallBudgetContext, at: Date): Promise<BudgetScope[]> {
    const tenant = this.tenantScope(ctx.tenantId, at, await this.config(ctx.tenantId));
    const scopes: BudgetScope[] = tenant ? [tenant] : [];
    // A job without a budget of its own has nothing to refuse and nobody reads its running total (its cost is
    // the ledger's): not counting it spares every call of such a job a Redis round trip, and its first ones a
    // ledger query.
    if (ctx.job && ctx.job.limitPico !== null) {
      const jobId = ctx.job.id;
      scopes.push({
        key: `j:${jobId}`,
        limitPico: ctx.job.limitPico,
        loadSpent: () => this.ledger.spentPico(ctx.tenantId, { jobId }),
        name: 'job budget',
      });
    }
    return scopes;
  }

  /**
   * Reserves a call's worst-case cost against every budget that applies. A $0 call (a local model) always
   * passes, even on a spent budget.
   */
  async reserve(ctx: CallBudgetContext, estimatePico: PicoUsd): Promise<Reservation> {
    const now = this.clock.now();
    const scopes = await this.scopes(ctx, now);
    const result = await this.reservations.reserve(scopes, estimatePico);
    if (result.ok) return result.reservation;
    const { spentPico } = await this.reservations.current(result.scope);
    const limit = result.scope.limitPico ?? 0n;
    const resetSeconds = result.scope.key.startsWith('t:') ? Math.ceil((monthPeriodUtc(now).end.getTime() - now.getTime()) / 1000) : undefined;
    throw new BudgetExceededError(
      result.scope.name,
      `The ${result.scope.name} is exhausted: $${picoToUsd(spentPico)} spent of $${picoToUsd(limit)}, and this call could cost up to $${picoToUsd(estimatePico)}`,
      resetSeconds,
    );
  }

  /** Books the real cost against the reservation and raises any threshold alert it crosses. */
  async settle(ctx: CallBudgetContext, reservation: Reservation, actualPico: PicoUsd): Promise<void> {
    const spent = await this.reservations.settle(reservation, actualPico);
    const tenantSpent = reservation.scopes[0]?.key.startsWith('t:') ? spent[0] : undefined;
    if (tenantSpent !== undefined && actualPico > 0n) await this.checkAlerts(ctx.tenantId, tenantSpent, tenantSpent - actualPico);
  }

  /** This month's spend ÷ limit of the `limit` most used budgets (for the metrics: a bounded label set). */
  async topUtilization(limit: number): Promise<Array<{ tenantId: string; utilization: number }>> {
    const { start, end } = monthPeriodUtc(this.clock.now());
    const rows = await this.repo.topUtilization(start, end, limit);
    // a ratio for a gauge: float precision is what Prometheus keeps anyway
    return rows.map((r) => ({ tenantId: r.tenantId, utilization: Number((usdToPico(r.spentUsd) * 1_000_000n) / usdToPico(r.limitUsd)) / 1_000_000 }));
  }

  async release(reservation: Reservation): Promise<void> {
    await this.reservations.release(reservation);
  }

  async get(tenantId: string): Promise<BudgetView> {
    const now = this.clock.now();
    const { start, end } = monthPeriodUtc(now);
    const budget = await this.repo.find(tenantId);
    const scope = this.tenantScope(tenantId, now, budget);
    const { spentPico, reservedPico } = scope
      ? await this.reservations.current(scope)
      : { spentPico: await this.ledger.spentPico(tenantId, { monthOf: now }), reservedPico: 0n };
    const alerts = await this.repo.listAlerts(tenantId, start.toISOString().slice(0, 10));
    return {
      monthlyLimitUsd: budget?.monthlyLimitUsd ? Number(budget.monthlyLimitUsd) : null,
      alertThresholds: (budget?.alertThresholds ?? DEFAULT_THRESHOLDS).map(Number),
      hardStop: budget?.hardStop ?? false,
      periodStart: start.toISOString(),
      resetsAt: end.toISOString(),
      spentUsd: picoToUsd(spentPico),
      reservedUsd: picoToUsd(reservedPico),
      alerts: alerts.map((a) => ({
        threshold: Number(a.threshold),
        spentUsd: picoToUsd(usdToPico(a.spentUsd)),
        limitUsd: Number(a.limitUsd),
        at: a.createdAt.toISOString(),
      })),
    };
  }

  async update(tenantId: string, input: UpdateBudgetRequest): Promise<BudgetView> {
    const current = await this.repo.find(tenantId);
    const thresholds = input.alertThresholds ?? current?.alertThresholds.map(Number) ?? DEFAULT_THRESHOLDS.map(Number);
    await this.repo.upsert(tenantId, {
      monthlyLimitUsd: input.monthlyLimitUsd === null ? null : picoToDecimal(usdToPico(input.monthlyLimitUsd.toFixed(6))),
      alertThresholds: [...new Set(thresholds)].sort((a, b) => a - b).map((t) => t.toFixed(4)),
      hardStop: input.hardStop ?? current?.hardStop ?? false,
    });
    this.logger.log({ tenantId, monthlyLimitUsd: input.monthlyLimitUsd, hardStop: input.hardStop }, 'Budget updated');
    this.cache.delete(tenantId);
    await this.changes.publish(TOPIC);
    // Spend is not counted in Redis while a tenant has no limit: start again from the ledger.
    await this.reservations.forget(`t:${tenantId}:${periodKey(this.clock.now())}`);
    const view = await this.get(tenantId);
    // A lowered limit can put spend past thresholds already.
    await this.checkAlerts(tenantId, usdToPico(view.spentUsd.toFixed(6)), -1n);
    return this.get(tenantId);
  }

  /** Raises the alerts for thresholds that spend crossed going from `beforePico` to `spentPico` (once each per month). */
  private async checkAlerts(tenantId: string, spentPico: PicoUsd, beforePico: PicoUsd): Promise<void> {
    const budget = await this.config(tenantId);
    if (!budget?.monthlyLimitUsd) return;
    const limit = usdToPico(budget.monthlyLimitUsd);
    if (limit <= 0n) return;
    const now = this.clock.now();
    const period = monthPeriodUtc(now).start.toISOString().slice(0, 10);
    for (const threshold of budget.alertThresholds) {
      // spent / limit >= threshold, in integers: spent * 10000 >= limit * threshold * 10000
      const t = usdToPico(threshold) / 100_000_000n; // threshold with 4 decimals → basis points
      if (spentPico * 10_000n < limit * t || beforePico * 10_000n >= limit * t) continue;
      const inserted = await this.repo.insertAlertOnce(tenantId, {
        period,
        threshold,
        spentUsd: picoToDecimal(spentPico),
        limitUsd: budget.monthlyLimitUsd,
        at: now,
      });
      if (!inserted) continue;
      const event: BudgetAlertEvent = { tenantId, threshold: Number(threshold), spentUsd: picoToUsd(spentPico), limitUsd: Number(budget.monthlyLimitUsd) };
      this.logger.warn(event, `Budget alert: ${Math.round(Number(threshold) * 100)}% of the monthly budget spent`);
      await this.redis.publish(EVENTS_CHANNEL, JSON.stringify({ type: 'budget.alert', ...event }));
    }
  }
}
