import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { MODEL_TIERS, type ModelTier, type Plan, type PlanLimits, type UsagePeriod } from '@margin/contracts';
import { Clock, DomainError, ForbiddenError, GroupCommit, monthPeriodUtc, NotFoundError } from '@margin/core';
import { TenantRepository, TenantUsageSource } from '@margin/identity';
import { LRUCache } from 'lru-cache';
import type { EntityManager } from 'typeorm';
import { PlanRepository, type PlanRow } from './plan.repository';

/** A monthly limit is used up: 429, with when it resets. */
export class QuotaExceededError extends DomainError {
  readonly code = 'quota_exceeded';
  readonly httpStatus = 429;
  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

const toLimits = (r: PlanRow): PlanLimits => ({
  plan: r.key,
  maxJobsPerMonth: r.max_jobs_per_month,
  maxItemsPerMonth: r.max_items_per_month,
  maxItemsPerJob: r.max_items_per_job,
  allowedTiers: r.allowed_tiers.filter((t): t is ModelTier => (MODEL_TIERS as readonly string[]).includes(t)),
  fairShareWeight: r.fair_share_weight,
  maxRunningItems: r.max_running_items,
});

/**
 * Plans and monthly quotas. Limits are data (the `plans` table, editable by the operator). Checks run inside
 * the submission's transaction under a per-tenant advisory lock, so concurrent submissions cannot both slip
 * under a limit.
 */
/** A tenant's plan limits are reused for this long on hot paths (/analyze, /v1): a plan change takes effect within it. */
const TENANT_LIMITS_TTL_MS = 10_000;

/** Whether the plan limits jobs or items a month: a submission is then checked under the tenant's lock, in its transaction. */
export function countsMonthly(limits: PlanLimits): boolean {
  return limits.maxJobsPerMonth !== null || limits.maxItemsPerMonth !== null;
}

/** The plan's limit on one job's items (403). */
export function assertJobSize(limits: PlanLimits, items: number): void {
  if (limits.maxItemsPerJob !== null && items > limits.maxItemsPerJob) {
    throw new ForbiddenError(`The ${limits.plan} plan allows at most ${limits.maxItemsPerJob} items per job; this job has ${items}`);
  }
}

@Injectable()
export class QuotaService extends TenantUsageSource implements OnApplicationShutdown {
  private readonly logger = new Logger(QuotaService.name);
  private readonly tenantLimits = new LRUCache<string, PlanLimits>({ max: 10_000, ttl: TENANT_LIMITS_TTL_MS });
  /** On-demand items of tenants without a monthly limit: counted in batches, off the request's path. */
  private readonly analyzeCounts = new GroupCommit<{ tenantId: string; periodStart: Date; items: number }, void>(
    async (rows) => {
      await this.plans.addAnalyzeItems(rows);
      return rows.map(() => undefined);
    },
    { maxBatch: 500 },
  );

  constructor(
    private readonly plans: PlanRepository,
    private readonly clock: Clock,
    private readonly tenants: TenantRepository,
  ) {
    super();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.analyzeCounts.drain();
  }

  /** The limits of a tenant's plan (cached briefly: read on every /analyze and /v1 call). */
  async limitsFor(tenantId: string): Promise<PlanLimits> {
    const cached = this.tenantLimits.get(tenantId);
    if (cached) return cached;
    const tenant = await this.tenants.findById(tenantId);
    if (!tenant) throw new NotFoundError('Tenant');
    const limits = await this.limits(tenant.plan);
    this.tenantLimits.set(tenantId, limits);
    return limits;
  }

  /**
   * Counts one item analysed on demand against this month's items, like a job's item; 429 when the plan's monthly
   * items are used up. Plans without a monthly limit are counted in the background (for usage, not enforcement).
   */
  async countAnalyzeItem(tenantId: string): Promise<void> {
    const limits = await this.limitsFor(tenantId);
    const now = this.clock.now();
    const period = monthPeriodUtc(now);
    const max = limits.maxItemsPerMonth;
    if (max === null) {
      this.analyzeCounts
        .add({ tenantId, periodStart: period.start, items: 1 })
        .catch((err: Error) => this.logger.warn({ tenantId, err: err.message }, 'An on-demand item could not be counted'));
      return;
    }
    await this.plans.transaction(async (m) => {
      await this.plans.lockTenant(m, tenantId);
      const used = await this.plans.usage(tenantId, period, m);
      if (used.items + 1 > max) {
        throw new QuotaExceededError(
          `The ${limits.plan} plan allows ${max} items a month, analysed on demand or in jobs: ${used.items} used; the quota resets at ${period.end.toISOString()}`,
          Math.ceil((period.end.getTime() - now.getTime()) / 1000),
        );
      }
      await this.plans.addAnalyzeItems([{ tenantId, periodStart: period.start, items: 1 }], m);
    });
  }

  /** Writes the on-demand counts not written yet (tests, shutdown). */
  flushAnalyzeCounts(): Promise<void> {
    return this.analyzeCounts.drain();
  }

  async list(): Promise<PlanLimits[]> {
    return (await this.plans.list()).map(toLimits);
  }

  async limits(plan: Plan, manager?: EntityManager): Promise<PlanLimits> {
    const row = await this.plans.find(plan, manager);
    if (!row) throw new NotFoundError('Plan');
    return toLimits(row);
  }

  async update(plan: Plan, patch: Partial<Omit<PlanLimits, 'plan'>>): Promise<PlanLimits> {
    const current = await this.limits(plan);
    const next = { ...current, ...patch };
    await this.plans.update(plan, next);
    // this process sees the change at once; the others within TENANT_LIMITS_TTL_MS
    this.tenantLimits.clear();
    this.logger.log({ plan, ...patch }, 'Plan limits changed');
    return this.limits(plan);
  }

  async usage(
    tenantId: string,
    plan: Plan,
    period: { start: Date; end: Date },
    manager?: EntityManager,
  ): Promise<Required<Pick<UsagePeriod, 'jobs' | 'items' | 'limits'>>> {
    const used = await this.plans.usage(tenantId, period, manager);
    const limits = await this.limits(plan, manager);
    return {
      jobs: used.jobs,
      items: used.items,
      limits: {
        maxJobsPerMonth: limits.maxJobsPerMonth,
        maxItemsPerMonth: limits.maxItemsPerMonth,
        maxItemsPerJob: limits.maxItemsPerJob,
        allowedTiers: limits.allowedTiers,
      },
    };
  }

  /** Throws 403 (the plan does not allow a job this big) or 429 (this month's quota is used up). Call inside the submission transaction. */
  async assertCanSubmit(manager: EntityManager, tenantId: string, plan: Plan, items: number, known?: PlanLimits): Promise<PlanLimits> {
    const limits = known ?? (await this.limits(plan, manager));
    assertJobSize(limits, items);
    // no monthly limit: nothing to count, and no reason to make the tenant's submissions wait for each other
    if (!countsMonthly(limits)) return limits;
    await this.plans.lockTenant(manager, tenantId);
    const now = this.clock.now();
    const period = monthPeriodUtc(now);
    const used = await this.usage(tenantId, plan, period, manager);
    const resetsIn = Math.ceil((period.end.getTime() - now.getTime()) / 1000);
    const resets = period.end.toISOString();
    if (limits.maxJobsPerMonth !== null && used.jobs + 1 > limits.maxJobsPerMonth) {
      throw new QuotaExceededError(
        `The ${plan} plan allows ${limits.maxJobsPerMonth} job(s) a month and this month's are used; the quota resets at ${resets}`,
        resetsIn,
      );
    }
    if (limits.maxItemsPerMonth !== null && used.items + items > limits.maxItemsPerMonth) {
      throw new QuotaExceededError(
        `The ${plan} plan allows ${limits.maxItemsPerMonth} items a month: ${used.items} used, this job has ${items}; the quota resets at ${resets}`,
        resetsIn,
      );
    }
    return limits;
  }
}
