import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MODEL_TIERS, type ModelTier, type Plan, type PlanLimits, type UsagePeriod } from '@margin/contracts';
import { Clock, DomainError, ForbiddenError, monthPeriodUtc, NotFoundError } from '@margin/core';
import { TenantUsageSource } from '@margin/identity';
import type { DataSource, EntityManager } from 'typeorm';

/** A monthly limit is used up: 429, with when it resets. */
export class QuotaExceededError extends DomainError {
  readonly code = 'quota_exceeded';
  readonly httpStatus = 429;
  constructor(message: string, override readonly retryAfterSeconds: number) {
    super(message);
  }
}

interface PlanRow {
  key: Plan;
  max_jobs_per_month: number | null;
  max_items_per_month: number | null;
  max_items_per_job: number | null;
  allowed_tiers: string[];
}

const toLimits = (r: PlanRow): PlanLimits => ({
  plan: r.key,
  maxJobsPerMonth: r.max_jobs_per_month,
  maxItemsPerMonth: r.max_items_per_month,
  maxItemsPerJob: r.max_items_per_job,
  allowedTiers: r.allowed_tiers.filter((t): t is ModelTier => (MODEL_TIERS as readonly string[]).includes(t)),
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
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
  ) {
    super();
  }

  async list(): Promise<PlanLimits[]> {
    const rows = (await this.db.query(`SELECT * FROM plans ORDER BY CASE key WHEN 'free' THEN 0 WHEN 'pro' THEN 1 ELSE 2 END`)) as PlanRow[];
    return rows.map(toLimits);
  }

  async limits(plan: Plan, manager: EntityManager = this.db.manager): Promise<PlanLimits> {
    const [row] = (await manager.query(`SELECT * FROM plans WHERE key = $1`, [plan])) as PlanRow[];
    if (!row) throw new NotFoundError('Plan');
    return toLimits(row);
  }

  async update(plan: Plan, patch: Partial<Omit<PlanLimits, 'plan'>>): Promise<PlanLimits> {
    const current = await this.limits(plan);
    const next = { ...current, ...patch };
    await this.db.query(
      `UPDATE plans SET max_jobs_per_month = $2, max_items_per_month = $3, max_items_per_job = $4, allowed_tiers = $5, updated_at = now() WHERE key = $1`,
      [plan, next.maxJobsPerMonth, next.maxItemsPerMonth, next.maxItemsPerJob, next.allowedTiers],
    );
    this.logger.log({ plan, ...patch }, 'Plan limits changed');
    return this.limits(plan);
  }

  async usage(tenantId: string, plan: Plan, period: { start: Date; end: Date }, manager: EntityManager = this.db.manager): Promise<Required<Pick<UsagePeriod, 'jobs' | 'items' | 'limits'>>> {
    const [row] = (await manager.query(
      `SELECT count(*)::int AS jobs, coalesce(sum(total_items), 0)::int AS items FROM jobs WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3`,
      [tenantId, period.start, period.end],
    )) as Array<{ jobs: number; items: number }>;
    const limits = await this.limits(plan, manager);
    return { jobs: row?.jobs ?? 0, items: row?.items ?? 0, limits: { maxJobsPerMonth: limits.maxJobsPerMonth, maxItemsPerMonth: limits.maxItemsPerMonth, maxItemsPerJob: limits.maxItemsPerJob, allowedTiers: limits.allowedTiers } };
  }

  /** Throws 403 (the plan does not allow a job this big) or 429 (this month's quota is used up). Call inside the submission transaction. */
  async assertCanSubmit(manager: EntityManager, tenantId: string, plan: Plan, items: number): Promise<PlanLimits> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`quota:${tenantId}`]);
    const now = this.clock.now();
    const period = monthPeriodUtc(now);
    const limits = await this.limits(plan, manager);
    if (limits.maxItemsPerJob !== null && items > limits.maxItemsPerJob) {
      throw new ForbiddenError(`The ${plan} plan allows at most ${limits.maxItemsPerJob} items per job; this job has ${items}`);
    }
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
