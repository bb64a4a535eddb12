import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PolicyCell, PromotionView } from '@margin/contracts';
import type { DataSource } from 'typeorm';

export interface PromotionRow {
  id: string;
  operation: string;
  complexity: string;
  action: PromotionView['action'];
  fromModel: string;
  toModel: string;
  applied: boolean;
  reason: string;
  evidence: unknown;
  /** The cell as it was before this row changed it (what a revert puts back). */
  previousCell: { cell: PolicyCell; override: boolean };
  origin: PromotionView['origin'];
  actorUserId: string | null;
  evaluationKey: string | null;
  revertsId: string | null;
  createdAt: Date;
  approvedAt: Date | null;
  approvedBy: string | null;
  revertedAt: Date | null;
  revertedBy: string | null;
}

export type NewPromotionRow = Omit<PromotionRow, 'id' | 'createdAt' | 'approvedAt' | 'approvedBy' | 'revertedAt' | 'revertedBy'>;

const COLUMNS = `id, operation, complexity, action, from_model AS "fromModel", to_model AS "toModel", applied, reason, evidence,
  previous_cell AS "previousCell", origin, actor_user_id AS "actorUserId", evaluation_key AS "evaluationKey", reverts_id AS "revertsId",
  created_at AS "createdAt", approved_at AS "approvedAt", approved_by AS "approvedBy", reverted_at AS "revertedAt", reverted_by AS "revertedBy"`;

/** The promotion log: every evaluation that promoted, demoted, proposed either, or (asked for by hand) held. */
@Injectable()
export class PromotionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Null when a row with the same evaluation key exists (that evaluation happened already). */
  async insert(tenantId: string, row: NewPromotionRow, at: Date): Promise<PromotionRow | null> {
    const [saved] = (await this.db.query(
      `INSERT INTO training_promotions (tenant_id, operation, complexity, action, from_model, to_model, applied, previous_cell, evidence, reason,
         origin, actor_user_id, evaluation_key, reverts_id, created_at, approved_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $14, $15, NULL)
       ON CONFLICT (tenant_id, evaluation_key) WHERE evaluation_key IS NOT NULL DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        tenantId,
        row.operation,
        row.complexity,
        row.action,
        row.fromModel,
        row.toModel,
        row.applied,
        JSON.stringify(row.previousCell),
        JSON.stringify(row.evidence),
        row.reason,
        row.origin,
        row.actorUserId,
        row.evaluationKey,
        row.revertsId,
        at,
      ],
    )) as PromotionRow[];
    return saved ?? null;
  }

  async list(tenantId: string): Promise<PromotionRow[]> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM training_promotions WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200`, [
      tenantId,
    ])) as PromotionRow[];
  }

  async get(tenantId: string, id: string): Promise<PromotionRow | null> {
    const [row] = (await this.db.query(`SELECT ${COLUMNS} FROM training_promotions WHERE tenant_id = $1 AND id = $2`, [tenantId, id])) as PromotionRow[];
    return row ?? null;
  }

  async hasEvaluation(tenantId: string, evaluationKey: string): Promise<boolean> {
    const rows = (await this.db.query(`SELECT 1 FROM training_promotions WHERE tenant_id = $1 AND evaluation_key = $2`, [
      tenantId,
      evaluationKey,
    ])) as unknown[];
    return rows.length > 0;
  }

  /** When the rule last changed this cell (an applied promotion or demotion, an approval, a revert): its evidence starts there. */
  async lastChange(tenantId: string, operation: string, complexity: string): Promise<Date | null> {
    const [row] = (await this.db.query(
      `SELECT max(greatest(coalesce(approved_at, created_at), coalesce(reverted_at, '-infinity'::timestamptz))) AS at
       FROM training_promotions WHERE tenant_id = $1 AND operation = $2 AND complexity = $3 AND applied`,
      [tenantId, operation, complexity],
    )) as Array<{ at: Date | null }>;
    return row?.at ?? null;
  }

  /** The cell's latest applied promotion. */
  async lastPromotion(tenantId: string, operation: string, complexity: string): Promise<PromotionRow | null> {
    const [row] = (await this.db.query(
      `SELECT ${COLUMNS} FROM training_promotions WHERE tenant_id = $1 AND operation = $2 AND complexity = $3 AND action = 'promote' AND applied
       ORDER BY coalesce(approved_at, created_at) DESC, id DESC LIMIT 1`,
      [tenantId, operation, complexity],
    )) as PromotionRow[];
    return row ?? null;
  }

  /** A proposal for the same change that still awaits its click (made since the cell last changed). */
  async openProposal(
    tenantId: string,
    p: { operation: string; complexity: string; action: string; fromModel: string; toModel: string },
    since: Date | null,
  ): Promise<PromotionRow | null> {
    const [row] = (await this.db.query(
      `SELECT ${COLUMNS} FROM training_promotions
       WHERE tenant_id = $1 AND operation = $2 AND complexity = $3 AND action = $4 AND from_model = $5 AND to_model = $6
         AND NOT applied AND reverted_at IS NULL AND ($7::timestamptz IS NULL OR created_at >= $7)
       ORDER BY created_at DESC LIMIT 1`,
      [tenantId, p.operation, p.complexity, p.action, p.fromModel, p.toModel, since],
    )) as PromotionRow[];
    return row ?? null;
  }

  /** Applies a proposal once: false when it was applied (or reverted) already. */
  async markApproved(tenantId: string, id: string, at: Date, by: string | null, previousCell: PromotionRow['previousCell']): Promise<boolean> {
    const [rows] = (await this.db.query(
      `UPDATE training_promotions SET applied = true, approved_at = $3, approved_by = $4, previous_cell = $5::jsonb
       WHERE tenant_id = $1 AND id = $2 AND NOT applied AND reverted_at IS NULL AND action <> 'hold' RETURNING id`,
      [tenantId, id, at, by, JSON.stringify(previousCell)],
    )) as [unknown[], number];
    return rows.length > 0;
  }

  /** Marks it reverted once: false when it was already. */
  async markReverted(tenantId: string, id: string, at: Date, by: string | null): Promise<boolean> {
    const [rows] = (await this.db.query(
      `UPDATE training_promotions SET reverted_at = $3, reverted_by = $4 WHERE tenant_id = $1 AND id = $2 AND reverted_at IS NULL RETURNING id`,
      [tenantId, id, at, by],
    )) as [unknown[], number];
    return rows.length > 0;
  }

  /** A demotion undone: the promotion it had reverted is in force again. */
  async clearReverted(tenantId: string, id: string): Promise<void> {
    await this.db.query(`UPDATE training_promotions SET reverted_at = NULL, reverted_by = NULL WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  }

  /**
   * Tenants the scheduled rule weighs: those whose A/B arms left examples since `since` (quality evidence lives
   * there) and that have not turned the rule off.
   */
  async tenantsToEvaluate(since: Date): Promise<string[]> {
    const rows = (await this.db.query(
      `SELECT DISTINCT e.tenant_id AS "tenantId" FROM training_examples e LEFT JOIN training_settings s ON s.tenant_id = e.tenant_id
       WHERE e.ab_arm IS NOT NULL AND e.created_at >= $1 AND coalesce(s.promotion_mode, 'propose') <> 'off'`,
      [since],
    )) as Array<{ tenantId: string }>;
    return rows.map((r) => r.tenantId);
  }

  /**
   * Runs `fn` holding a PostgreSQL advisory lock on one tenant's cell, so evaluations, approvals and reverts of
   * the cell (from any worker or API process) happen one at a time.
   */
  async withCellLock<T>(tenantId: string, operation: string, complexity: string, fn: () => Promise<T>): Promise<T> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    const key = `${tenantId}|${operation}|${complexity}`;
    try {
      await runner.query(`SELECT pg_advisory_lock(hashtext('training-promotion'), hashtext($1))`, [key]);
      try {
        return await fn();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext('training-promotion'), hashtext($1))`, [key]);
      }
    } finally {
      await runner.release();
    }
  }
}
