import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PlanIntake, PlanQuestion, RequestPlanStatus } from '@margin/contracts';
import type { DataSource } from 'typeorm';
import type { PlanEstimateRecord } from './request-plan';

export interface RequestPlanRow {
  id: string;
  tenantId: string;
  status: RequestPlanStatus;
  sentence: string | null;
  intake: PlanIntake;
  questions: PlanQuestion[];
  profileKey: string | null;
  profileVersion: number | null;
  items: Array<Record<string, unknown>>;
  stepModels: Record<string, string>;
  endpointIds: string[];
  budgetUsd: string | null;
  deadline: Date | null;
  estimate: PlanEstimateRecord;
  costUsd: string;
  seconds: number;
  jobId: string | null;
  actualCostUsd: string | null;
  actualSeconds: number | null;
  createdByUserId: string | null;
  createdByApiKeyId: string | null;
  createdAt: Date;
  approvedAt: Date | null;
}

const COLUMNS = `id, tenant_id, status, sentence, intake, questions, profile_key, profile_version, items, step_models, endpoint_ids, budget_usd::text AS budget_usd,
  deadline, estimate, cost_usd::text AS cost_usd, seconds, job_id, actual_cost_usd::text AS actual_cost_usd, actual_seconds, created_by_user_id, created_by_api_key_id,
  created_at, approved_at`;

function toRow(r: Record<string, unknown>): RequestPlanRow {
  return {
    id: r['id'] as string,
    tenantId: r['tenant_id'] as string,
    status: r['status'] as RequestPlanStatus,
    sentence: (r['sentence'] as string | null) ?? null,
    intake: r['intake'] as PlanIntake,
    questions: (r['questions'] as PlanQuestion[]) ?? [],
    profileKey: (r['profile_key'] as string | null) ?? null,
    profileVersion: (r['profile_version'] as number | null) ?? null,
    items: (r['items'] as Array<Record<string, unknown>>) ?? [],
    stepModels: (r['step_models'] as Record<string, string>) ?? {},
    endpointIds: (r['endpoint_ids'] as string[]) ?? [],
    budgetUsd: (r['budget_usd'] as string | null) ?? null,
    deadline: (r['deadline'] as Date | null) ?? null,
    estimate: r['estimate'] as PlanEstimateRecord,
    costUsd: r['cost_usd'] as string,
    seconds: r['seconds'] as number,
    jobId: (r['job_id'] as string | null) ?? null,
    actualCostUsd: (r['actual_cost_usd'] as string | null) ?? null,
    actualSeconds: (r['actual_seconds'] as number | null) ?? null,
    createdByUserId: (r['created_by_user_id'] as string | null) ?? null,
    createdByApiKeyId: (r['created_by_api_key_id'] as string | null) ?? null,
    createdAt: r['created_at'] as Date,
    approvedAt: (r['approved_at'] as Date | null) ?? null,
  };
}

export type PlanWrite = Pick<
  RequestPlanRow,
  | 'status'
  | 'intake'
  | 'questions'
  | 'profileKey'
  | 'profileVersion'
  | 'items'
  | 'stepModels'
  | 'endpointIds'
  | 'budgetUsd'
  | 'deadline'
  | 'estimate'
  | 'costUsd'
  | 'seconds'
>;

/** Request plans, always by tenant. */
@Injectable()
export class RequestPlansRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(
    tenantId: string,
    id: string,
    p: PlanWrite & { sentence: string | null; createdByUserId: string | null; createdByApiKeyId: string | null },
  ): Promise<RequestPlanRow> {
    const [row] = (await this.db.query(
      `INSERT INTO request_plans (id, tenant_id, status, sentence, intake, questions, profile_key, profile_version, items, step_models, endpoint_ids, budget_usd, deadline,
         estimate, cost_usd, seconds, created_by_user_id, created_by_api_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING ${COLUMNS}`,
      [id, tenantId, p.status, p.sentence, ...writeParams(p), p.createdByUserId, p.createdByApiKeyId],
    )) as Array<Record<string, unknown>>;
    return toRow(row as Record<string, unknown>);
  }

  /** Rewrites a plan still open (proposed or needing input); null when it is gone or past that. */
  async update(tenantId: string, id: string, p: PlanWrite): Promise<RequestPlanRow | null> {
    const [rows] = (await this.db.query(
      `UPDATE request_plans SET status = $3, intake = $4, questions = $5, profile_key = $6, profile_version = $7, items = $8, step_models = $9, endpoint_ids = $10,
         budget_usd = $11, deadline = $12, estimate = $13, cost_usd = $14, seconds = $15, updated_at = now()
       WHERE tenant_id = $1 AND id = $2 AND status IN ('proposed', 'needs_input') RETURNING ${COLUMNS}`,
      [tenantId, id, p.status, ...writeParams(p)],
    )) as [Array<Record<string, unknown>>, number];
    return rows[0] ? toRow(rows[0]) : null;
  }

  async find(tenantId: string, id: string): Promise<RequestPlanRow | null> {
    await this.settle(tenantId, id);
    const [row] = (await this.db.query(`SELECT ${COLUMNS} FROM request_plans WHERE tenant_id = $1 AND id = $2`, [tenantId, id])) as Array<
      Record<string, unknown>
    >;
    return row ? toRow(row) : null;
  }

  async list(tenantId: string, limit: number): Promise<RequestPlanRow[]> {
    await this.settle(tenantId);
    const rows = (await this.db.query(`SELECT ${COLUMNS} FROM request_plans WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [
      tenantId,
      limit,
    ])) as Array<Record<string, unknown>>;
    return rows.map(toRow);
  }

  /**
   * Marks the plan approved with its job, once: only an open plan, in the same transaction as the caller's job
   * write. Returns false when another approval got there first (or the plan is not open).
   */
  async markApproved(tenantId: string, id: string, at: Date): Promise<boolean> {
    const [rows] = (await this.db.query(
      `UPDATE request_plans SET status = 'approved', approved_at = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 AND status = 'proposed' RETURNING id`,
      [tenantId, id, at],
    )) as [unknown[], number];
    return rows.length === 1;
  }

  /** Gives an approval back when its job could not be submitted. */
  async reopen(tenantId: string, id: string): Promise<void> {
    await this.db.query(
      `UPDATE request_plans SET status = 'proposed', approved_at = NULL, updated_at = now() WHERE tenant_id = $1 AND id = $2 AND job_id IS NULL`,
      [tenantId, id],
    );
  }

  async attachJob(tenantId: string, id: string, jobId: string): Promise<void> {
    await this.db.query(`UPDATE request_plans SET job_id = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [tenantId, id, jobId]);
  }

  async cancel(tenantId: string, id: string): Promise<boolean> {
    const [rows] = (await this.db.query(
      `UPDATE request_plans SET status = 'cancelled', updated_at = now() WHERE tenant_id = $1 AND id = $2 AND status IN ('proposed', 'needs_input') RETURNING id`,
      [tenantId, id],
    )) as [unknown[], number];
    return rows.length === 1;
  }

  /**
   * Approved plans whose job has finished take its actual cost and time (from approval to the job's end) and the
   * job's outcome as their status; one statement for the tenant (or one plan).
   */
  async settle(tenantId: string, id?: string): Promise<void> {
    await this.db.query(
      `UPDATE request_plans p SET actual_cost_usd = j.cost_usd,
         actual_seconds = greatest(0, round(extract(epoch FROM j.finished_at - coalesce(p.approved_at, j.created_at))))::int,
         status = CASE WHEN j.status IN ('completed', 'completed_with_errors') THEN 'completed' WHEN j.status = 'cancelled' THEN 'cancelled' ELSE 'failed' END,
         updated_at = now()
       FROM jobs j
       WHERE p.tenant_id = $1 AND ($2::uuid IS NULL OR p.id = $2) AND p.status = 'approved' AND p.job_id = j.id AND j.tenant_id = p.tenant_id AND j.finished_at IS NOT NULL`,
      [tenantId, id ?? null],
    );
  }

  /** Finished plans' estimate errors: |estimate − actual| ÷ actual, for cost and seconds (null where actual is 0). */
  async accuracy(tenantId: string): Promise<{ plans: number; medianCostError: number | null; medianSecondsError: number | null }> {
    await this.settle(tenantId);
    const [row] = (await this.db.query(
      `SELECT count(*)::int AS plans,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(cost_usd - actual_cost_usd) / nullif(actual_cost_usd, 0))::float8 AS cost,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(seconds - actual_seconds)::float8 / nullif(actual_seconds, 0))::float8 AS secs
         FROM request_plans WHERE tenant_id = $1 AND status = 'completed' AND actual_cost_usd IS NOT NULL`,
      [tenantId],
    )) as Array<{ plans: number; cost: number | null; secs: number | null }>;
    return { plans: row?.plans ?? 0, medianCostError: row?.cost ?? null, medianSecondsError: row?.secs ?? null };
  }
}

function writeParams(p: PlanWrite): unknown[] {
  return [
    JSON.stringify(p.intake),
    JSON.stringify(p.questions),
    p.profileKey,
    p.profileVersion,
    JSON.stringify(p.items),
    JSON.stringify(p.stepModels),
    p.endpointIds,
    p.budgetUsd,
    p.deadline,
    JSON.stringify(p.estimate),
    p.costUsd,
    p.seconds,
  ];
}
