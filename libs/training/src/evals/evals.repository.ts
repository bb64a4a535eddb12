import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { EvalRunStatus, EvalScores } from '@margin/contracts';
import type { DataSource } from 'typeorm';

export interface EvalSetRow {
  id: string;
  tenantId: string | null;
  name: string;
  profileKey: string;
  items: number;
  createdAt: Date;
}

export interface EvalItemRow {
  seq: number;
  input: Record<string, unknown>;
  expected: unknown;
}

export interface EvalRunRow {
  id: string;
  evalSetId: string;
  model: string;
  judgeModel: string | null;
  status: EvalRunStatus;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface EvalRunItemRow {
  seq: number;
  status: 'completed' | 'failed';
  output: unknown;
  error: string | null;
  scores: EvalScores | null;
  quality: string | null;
  costUsd: string;
  latencyMs: number;
}

const SET = `id, tenant_id AS "tenantId", name, profile_key AS "profileKey", items, created_at AS "createdAt"`;
const RUN = `id, eval_set_id AS "evalSetId", model, judge_model AS "judgeModel", status, error, created_at AS "createdAt", finished_at AS "finishedAt"`;

/** Eval sets (the tenant's and the built-in ones, which have no tenant) and the tenant's runs. */
@Injectable()
export class EvalsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async createSet(tenantId: string, set: { name: string; profileKey: string; items: Array<{ input: unknown; expected?: unknown }> }): Promise<EvalSetRow> {
    return this.db.transaction(async (m) => {
      const [row] = (await m.query(`INSERT INTO eval_sets (tenant_id, name, profile_key, items) VALUES ($1, $2, $3, $4) RETURNING ${SET}`, [
        tenantId,
        set.name,
        set.profileKey,
        set.items.length,
      ])) as EvalSetRow[];
      const created = row as EvalSetRow;
      await m.query(
        `INSERT INTO eval_items (eval_set_id, seq, input, expected) SELECT $1::uuid, s.seq, s.input, s.expected FROM unnest($2::int[], $3::jsonb[], $4::jsonb[]) AS s(seq, input, expected)`,
        [
          created.id,
          set.items.map((_, i) => i),
          set.items.map((i) => JSON.stringify(i.input)),
          set.items.map((i) => (i.expected === undefined ? null : JSON.stringify(i.expected))),
        ],
      );
      return created;
    });
  }

  async listSets(tenantId: string): Promise<EvalSetRow[]> {
    return (await this.db.query(`SELECT ${SET} FROM eval_sets WHERE tenant_id = $1 OR tenant_id IS NULL ORDER BY tenant_id NULLS FIRST, created_at DESC`, [
      tenantId,
    ])) as EvalSetRow[];
  }

  /** The tenant's set or a built-in one. */
  async getSet(tenantId: string, id: string): Promise<EvalSetRow | null> {
    const [row] = (await this.db.query(`SELECT ${SET} FROM eval_sets WHERE id = $2 AND (tenant_id = $1 OR tenant_id IS NULL)`, [tenantId, id])) as EvalSetRow[];
    return row ?? null;
  }

  async items(setId: string): Promise<EvalItemRow[]> {
    return (await this.db.query(`SELECT seq, input, expected FROM eval_items WHERE eval_set_id = $1 ORDER BY seq`, [setId])) as EvalItemRow[];
  }

  async createRun(tenantId: string, setId: string, model: string, judgeModel: string | null): Promise<EvalRunRow> {
    const [row] = (await this.db.query(
      `INSERT INTO eval_runs (tenant_id, eval_set_id, model, judge_model, status) VALUES ($1, $2, $3, $4, 'queued') RETURNING ${RUN}`,
      [tenantId, setId, model, judgeModel],
    )) as EvalRunRow[];
    return row as EvalRunRow;
  }

  async getRun(tenantId: string, runId: string): Promise<EvalRunRow | null> {
    const [row] = (await this.db.query(`SELECT ${RUN} FROM eval_runs WHERE tenant_id = $1 AND id = $2`, [tenantId, runId])) as EvalRunRow[];
    return row ?? null;
  }

  async listRuns(tenantId: string, setId: string): Promise<EvalRunRow[]> {
    return (await this.db.query(`SELECT ${RUN} FROM eval_runs WHERE tenant_id = $1 AND eval_set_id = $2 ORDER BY created_at DESC LIMIT 100`, [
      tenantId,
      setId,
    ])) as EvalRunRow[];
  }

  async setStatus(tenantId: string, runId: string, status: EvalRunStatus, at: Date, error: string | null = null): Promise<void> {
    await this.db.query(
      `UPDATE eval_runs SET status = $3::varchar, error = $4, finished_at = CASE WHEN $3::varchar IN ('completed', 'failed') THEN $5::timestamptz END WHERE tenant_id = $1 AND id = $2`,
      [tenantId, runId, status, error, at],
    );
  }

  /** Once per item: a replayed run (the worker restarted) keeps what it had. */
  async addRunItem(runId: string, item: Omit<EvalRunItemRow, 'quality'> & { quality: number | null }): Promise<void> {
    await this.db.query(
      `INSERT INTO eval_run_items (run_id, seq, status, output, error, scores, quality, cost_usd, latency_ms) VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb, $7, $8, $9)
       ON CONFLICT (run_id, seq) DO NOTHING`,
      [
        runId,
        item.seq,
        item.status,
        item.output === undefined ? null : JSON.stringify(item.output),
        item.error,
        item.scores ? JSON.stringify(item.scores) : null,
        item.quality,
        item.costUsd,
        item.latencyMs,
      ],
    );
  }

  /** The run's items (the run is checked to be the tenant's first). */
  async runItems(runId: string): Promise<EvalRunItemRow[]> {
    return (await this.db.query(
      `SELECT seq, status, output, error, scores, quality::text AS quality, cost_usd::text AS "costUsd", latency_ms AS "latencyMs" FROM eval_run_items WHERE run_id = $1 ORDER BY seq`,
      [runId],
    )) as EvalRunItemRow[];
  }
}
