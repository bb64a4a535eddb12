import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Complexity, PolicyCell } from '@margin/contracts';
import { Clock, ConflictError, NotFoundError } from '@margin/core';
import { RoutingPolicyService } from '@margin/model-router';
import type { DataSource } from 'typeorm';
import { InvalidTrainingRequestError } from '../training.errors';
import { AbReportService, type AbArmRow } from './ab-report';
import { decidePromotion, type ArmEvidence, type PromotionDecision, type PromotionRule } from './promotion-rule';

export interface PromotionView {
  id: string;
  operation: string;
  complexity: string;
  action: 'promote' | 'hold';
  fromModel: string;
  toModel: string;
  applied: boolean;
  reason: string;
  evidence: unknown;
  createdAt: string;
  revertedAt: string | null;
}

interface PromotionRow extends Omit<PromotionView, 'createdAt' | 'revertedAt'> {
  previousCell: { cell: PolicyCell; override: boolean };
  createdAt: Date;
  revertedAt: Date | null;
}

const COLUMNS = `id, operation, complexity, action, from_model AS "fromModel", to_model AS "toModel", applied, reason, evidence,
  previous_cell AS "previousCell", created_at AS "createdAt", reverted_at AS "revertedAt"`;

@Injectable()
export class PromotionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(tenantId: string, row: Omit<PromotionRow, 'id' | 'createdAt' | 'revertedAt'>, at: Date): Promise<PromotionRow> {
    const [saved] = (await this.db.query(
      `INSERT INTO training_promotions (tenant_id, operation, complexity, action, from_model, to_model, applied, previous_cell, evidence, reason, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11) RETURNING ${COLUMNS}`,
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
        at,
      ],
    )) as PromotionRow[];
    return saved as PromotionRow;
  }

  async list(tenantId: string): Promise<PromotionRow[]> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM training_promotions WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 200`, [
      tenantId,
    ])) as PromotionRow[];
  }

  async get(tenantId: string, id: string): Promise<PromotionRow | null> {
    const [row] = (await this.db.query(`SELECT ${COLUMNS} FROM training_promotions WHERE tenant_id = $1 AND id = $2`, [tenantId, id])) as PromotionRow[];
    return row ?? null;
  }

  /** Marks it reverted once: false when it was already. */
  async markReverted(tenantId: string, id: string, at: Date): Promise<boolean> {
    const [rows] = (await this.db.query(
      `UPDATE training_promotions SET reverted_at = $3 WHERE tenant_id = $1 AND id = $2 AND reverted_at IS NULL RETURNING id`,
      [tenantId, id, at],
    )) as [unknown[], number];
    return rows.length > 0;
  }
}

function toView(r: PromotionRow): PromotionView {
  return {
    id: r.id,
    operation: r.operation,
    complexity: r.complexity,
    action: r.action,
    fromModel: r.fromModel,
    toModel: r.toModel,
    applied: r.applied,
    reason: r.reason,
    evidence: r.evidence,
    createdAt: r.createdAt.toISOString(),
    revertedAt: r.revertedAt ? r.revertedAt.toISOString() : null,
  };
}

function evidenceOf(rows: AbArmRow[], arm: 'incumbent' | 'challenger', model: string): ArmEvidence {
  const r = rows.find((x) => x.arm === arm && x.model === model);
  return {
    model,
    answered: r ? r.calls - r.failures : 0,
    costUsd: r?.costUsd ?? 0,
    judged: r?.judged ?? 0,
    quality: r?.quality ?? null,
    rated: r?.rated ?? 0,
    rating: r?.rating ?? null,
  };
}

/**
 * Promotion per policy cell: the rule weighs the A/B arms' evidence; with `apply`, a promotion swaps the
 * arms in the tenant's policy (the challenger leads, the old incumbent becomes the challenger at the same
 * share, so the same rule demotes it back on regression). Every evaluation is logged; an applied one can be
 * reverted to the cell as it was.
 */
@Injectable()
export class PromotionsService {
  private readonly logger = new Logger(PromotionsService.name);

  constructor(
    private readonly repo: PromotionsRepository,
    private readonly report: AbReportService,
    private readonly policy: RoutingPolicyService,
    private readonly clock: Clock,
  ) {}

  async evaluate(
    tenantId: string,
    request: { operation: string; complexity: Complexity; rule: PromotionRule; apply: boolean; from?: Date },
  ): Promise<PromotionView & { decision: PromotionDecision }> {
    const view = this.policy.view(tenantId);
    const cell = view.effective.find((c) => c.operation === request.operation && c.complexity === request.complexity);
    if (!cell) throw new InvalidTrainingRequestError([`operation: no policy cell ${request.operation} × ${request.complexity}`]);
    const incumbent = cell.candidates[0];
    if (!cell.abTest || !incumbent)
      throw new InvalidTrainingRequestError([`operation: the cell ${request.operation} × ${request.complexity} has no A/B split`]);
    const { arms } = await this.report.report(tenantId, { from: request.from });
    const cellArms = arms.filter((a) => a.operation === request.operation && a.complexity === request.complexity);
    const decision = decidePromotion(evidenceOf(cellArms, 'incumbent', incumbent), evidenceOf(cellArms, 'challenger', cell.abTest.challenger), request.rule);
    const override = view.tenant.some((c) => c.operation === cell.operation && c.complexity === cell.complexity);
    const apply = request.apply && decision.action === 'promote';
    if (apply) {
      const challenger = cell.abTest.challenger;
      await this.policy.update(tenantId, false, {
        scope: 'tenant',
        cells: [
          {
            operation: cell.operation,
            complexity: cell.complexity,
            candidates: [challenger, ...cell.candidates.filter((m) => m !== challenger)],
            abTest: { challenger: incumbent, share: cell.abTest.share },
          },
        ],
      });
    }
    const saved = await this.repo.insert(
      tenantId,
      {
        operation: cell.operation,
        complexity: cell.complexity,
        action: decision.action,
        fromModel: incumbent,
        toModel: cell.abTest.challenger,
        applied: apply,
        reason: decision.reason,
        evidence: { rule: request.rule, arms: cellArms, decision },
        previousCell: { cell, override },
      },
      this.clock.now(),
    );
    this.logger.log({ tenantId, cell: `${cell.operation}/${cell.complexity}`, action: decision.action, applied: apply }, `promotion rule: ${decision.reason}`);
    return { ...toView(saved), decision };
  }

  async list(tenantId: string): Promise<PromotionView[]> {
    return (await this.repo.list(tenantId)).map(toView);
  }

  /** Puts the cell back as it was before an applied promotion (the tenant's override, or none). */
  async revert(tenantId: string, id: string): Promise<PromotionView> {
    const row = await this.repo.get(tenantId, id);
    if (!row) throw new NotFoundError('Promotion');
    if (!row.applied) throw new ConflictError('This evaluation changed nothing: there is nothing to revert');
    if (!(await this.repo.markReverted(tenantId, id, this.clock.now()))) throw new ConflictError('This promotion was reverted already');
    const { cell, override } = row.previousCell;
    // No override before: an empty candidate list removes the tenant's override, the global cell applies again.
    await this.policy.update(tenantId, false, {
      scope: 'tenant',
      cells: [override ? cell : { operation: cell.operation, complexity: cell.complexity, candidates: [] }],
    });
    this.logger.log({ tenantId, promotionId: id }, 'promotion reverted');
    return toView((await this.repo.get(tenantId, id)) as PromotionRow);
  }
}
