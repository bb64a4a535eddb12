import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Plan } from '@margin/contracts';
import type { DataSource, EntityManager } from 'typeorm';

export interface PlanRow {
  key: Plan;
  max_jobs_per_month: number | null;
  max_items_per_month: number | null;
  max_items_per_job: number | null;
  allowed_tiers: string[];
  fair_share_weight: number;
  max_running_items: number | null;
}

/** Plans (installation-wide data) and a tenant's monthly usage; methods take the submission's transaction when given. */
@Injectable()
export class PlanRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  list(): Promise<PlanRow[]> {
    return this.db.query(`SELECT * FROM plans ORDER BY CASE key WHEN 'free' THEN 0 WHEN 'pro' THEN 1 ELSE 2 END`) as Promise<PlanRow[]>;
  }

  async find(plan: Plan, manager: EntityManager = this.db.manager): Promise<PlanRow | null> {
    const [row] = (await manager.query(`SELECT * FROM plans WHERE key = $1`, [plan])) as PlanRow[];
    return row ?? null;
  }

  async update(
    plan: Plan,
    v: {
      maxJobsPerMonth: number | null;
      maxItemsPerMonth: number | null;
      maxItemsPerJob: number | null;
      allowedTiers: string[];
      fairShareWeight: number;
      maxRunningItems: number | null;
    },
  ): Promise<void> {
    await this.db.query(
      `UPDATE plans SET max_jobs_per_month = $2, max_items_per_month = $3, max_items_per_job = $4, allowed_tiers = $5, fair_share_weight = $6, max_running_items = $7,
         updated_at = now() WHERE key = $1`,
      [plan, v.maxJobsPerMonth, v.maxItemsPerMonth, v.maxItemsPerJob, v.allowedTiers, v.fairShareWeight, v.maxRunningItems],
    );
  }

  /** Jobs and items a tenant submitted in [start, end): job items plus items analysed on demand that month. */
  async usage(tenantId: string, period: { start: Date; end: Date }, manager: EntityManager = this.db.manager): Promise<{ jobs: number; items: number }> {
    const [row] = (await manager.query(
      `SELECT j.jobs, j.items + coalesce((SELECT sum(items) FROM analyze_usage WHERE tenant_id = $1 AND period_start >= $2 AND period_start < $3), 0)::int AS items
       FROM (SELECT count(*)::int AS jobs, coalesce(sum(total_items), 0)::int AS items FROM jobs WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 AND origin = 'submit') j`,
      [tenantId, period.start, period.end],
    )) as Array<{ jobs: number; items: number }>;
    return { jobs: row?.jobs ?? 0, items: row?.items ?? 0 };
  }

  /** Adds on-demand items to each tenant's month (several tenants and months in one statement). */
  async addAnalyzeItems(rows: Array<{ tenantId: string; periodStart: Date; items: number }>, manager: EntityManager = this.db.manager): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO analyze_usage (tenant_id, period_start, items)
       SELECT t.tenant_id, t.period_start, sum(t.items) FROM unnest($1::uuid[], $2::timestamptz[], $3::int[]) AS t(tenant_id, period_start, items) GROUP BY 1, 2
       ON CONFLICT (tenant_id, period_start) DO UPDATE SET items = analyze_usage.items + EXCLUDED.items`,
      [rows.map((r) => r.tenantId), rows.map((r) => r.periodStart), rows.map((r) => r.items)],
    );
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Serializes a tenant's submissions until the transaction ends, so quota checks cannot race. */
  async lockTenant(manager: EntityManager, tenantId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`quota:${tenantId}`]);
  }
}
