import { Injectable, Logger } from '@nestjs/common';
import { MODEL_TIERS, type ModelTier, type Plan, type PlanLimits, type UsagePeriod } from '@margin/contracts';
import { Clock, DomainError, ForbiddenError, monthPeriodUtc, NotFoundError } from '@margin/core';
import { TenantUsageSource } from '@margin/identity';
import type { EntityManager } from 'typeorm';
import { PlanRepository, type PlanRow } from './plan.repository';

/** A monthly limit is used up: 429, with when it resets. */
export class QuotaExceededError extends DomainError {
  readonly code = 'quota_exceeded';
  readonly httpStatus = 429;
  constructor(message: string, override readonly retryAfterSeconds: number) {
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
@Injectable()
export class QuotaService extends TenantUsageSource {
  private readonly logger = new Logger(QuotaService.name);

  constructor(
    private readonly plans: PlanRepository,
    private readonly clock: Clock,
  ) {
    super();
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
    this.logger.log({ plan, ...patch }, 'Plan limits changed');
    return this.limits(plan);
  }

  async usage(tenantId: string, plan: Plan, period: { start: Date; end: Date }, manager?: EntityManager): Promise<Required<Pick<UsagePeriod, 'jobs' | 'items' | 'limits'>>> {
    const used = await this.plans.usage(tenantId, period, manager);
    const limits = await this.limits(plan, manager);
    return { jobs: used.jobs, items: used.items, limits: { maxJobsPerMonth: limits.maxJobsPerMonth, maxItemsPerMonth: limits.maxItemsPerMonth, maxItemsPerJob: limits.maxItemsPerJob, allowedTiers: limits.allowedTiers } };
  }

  /** Throws 403 (the plan does not allow a job this big) or 429 (this month's quota is used up). Call inside the submission transaction. */
  async assertCanSubmit(manager: EntityManager, tenantId: string, plan: Plan, items: number): Promise<PlanLimits> {
    const limits = await this.limits(plan, manager);
    if (limits.maxItemsPerJob !== null && items > limits.maxItemsPerJob) {
      throw new ForbiddenError(`The ${plan} plan allows at most ${limits.maxItemsPerJob} items per job; this job has ${items}`);
    }
    // no monthly limit: nothing to count, and no reason to make the tenant's submissions wait for each other
    if (limits.maxJobsPerMonth === null && limits.maxItemsPerMonth === null) return limits;
    await this.plans.lockTenant(manager, tenantId);
    const now = this.clock.now();
    const period = monthPeriodUtc(now);
    const used = await this.usage(tenantId, plan, period, manager);
    const resetsIn = Math.ceil((period.end.getTime() - now.getTime()) / 1000);
    const resets = period.end.toISOString();
    if (limits.maxJobsPerMonth !== null && used.jobs + 1 > limits.maxJobsPerMonth) {
      throw new QuotaExceededError(`The ${plan} plan allows ${limits.maxJobsPerMonth} job(s) a month and this month's are used; the quota resets at ${resets}`, resetsIn);
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
