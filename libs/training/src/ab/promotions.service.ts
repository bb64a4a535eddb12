import { Injectable, Logger } from '@nestjs/common';
import type { Complexity, PolicyCell, PromotionMode, PromotionView } from '@margin/contracts';
import { Clock, ConflictError, NotFoundError } from '@margin/core';
import { RoutingPolicyService } from '@margin/model-router';
import { TrainingSettingsService } from '../settings/training-settings';
import { InvalidTrainingRequestError } from '../training.errors';
import { AbReportService, type AbArmRow } from './ab-report';
import { decideDemotion, decidePromotion, type ArmEvidence, type PromotionRule } from './promotion-rule';
import { PromotionsRepository, type PromotionRow } from './promotions.repository';

export type { PromotionView } from '@margin/contracts';

/** The evidence window when the cell has not changed more recently. */
const EVIDENCE_DAYS = 30;

function toView(r: PromotionRow): PromotionView {
  const status: PromotionView['status'] = r.revertedAt ? 'reverted' : r.applied ? 'applied' : r.action === 'hold' ? 'held' : 'proposed';
  const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
  return {
    id: r.id,
    operation: r.operation,
    complexity: r.complexity,
    action: r.action,
    fromModel: r.fromModel,
    toModel: r.toModel,
    applied: r.applied,
    status,
    origin: r.origin,
    actorUserId: r.actorUserId,
    reason: r.reason,
    evidence: r.evidence,
    createdAt: r.createdAt.toISOString(),
    approvedAt: iso(r.approvedAt),
    approvedBy: r.approvedBy,
    revertedAt: iso(r.revertedAt),
    revertedBy: r.revertedBy,
    revertsId: r.revertsId,
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

/** What the rule says about a cell as it stands. */
interface Outcome {
  action: 'promote' | 'demote' | 'hold';
  reason: string;
  fromModel: string;
  toModel: string;
  /** A demotion: the promotion it undoes. */
  promotion: PromotionRow | null;
  evidence: unknown;
}

export interface ScheduledRun {
  slot: string;
  tenants: number;
  cells: number;
  promoted: number;
  demoted: number;
  proposed: number;
  skipped: number;
}

/**
 * Promotion per A/B policy cell. The rule weighs the arms' evidence (since the cell last changed, at most 30
 * days): a cheaper challenger within the margin is promoted (it leads; the old incumbent keeps the share as the
 * challenger), and a promoted model that regresses is demoted (the promotion undone). Evaluations come by
 * hand or from the worker's schedule, which acts or proposes as the tenant chose. Every change is logged with
 * who, why and the evidence, can be reverted, and runs under a per-cell lock so it happens once.
 */
@Injectable()
export class PromotionsService {
  private readonly logger = new Logger(PromotionsService.name);

  constructor(
    private readonly repo: PromotionsRepository,
    private readonly report: AbReportService,
    private readonly policy: RoutingPolicyService,
    private readonly settings: TrainingSettingsService,
    private readonly clock: Clock,
  ) {}

  /**
   * An evaluation asked for by hand: logged whatever it decides; with `apply`, a promotion or demotion is made.
   * Thresholds not given are the tenant's settings.
   */
  async evaluate(
    tenantId: string,
    request: { operation: string; complexity: Complexity; rule: Partial<PromotionRule>; apply: boolean; from?: Date },
    actorUserId: string | null = null,
  ): Promise<PromotionView & { decision: unknown }> {
    return this.repo.withCellLock(tenantId, request.operation, request.complexity, async () => {
      await this.policy.reload();
      const cell = this.splitCell(tenantId, request.operation, request.complexity);
      // Thresholds not given are the tenant's own (its settings).
      const settings = await this.settings.get(tenantId);
      const rule = { minJudged: request.rule.minJudged ?? settings.promotionMinJudged, margin: request.rule.margin ?? settings.promotionMargin };
      const outcome = await this.weigh(tenantId, cell, rule, request.from);
      const apply = request.apply && outcome.action !== 'hold';
      const previousCell = this.snapshot(tenantId, cell);
      if (apply) await this.make(tenantId, cell, outcome, actorUserId);
      const saved = await this.repo.insert(
        tenantId,
        { ...this.rowOf(cell, outcome, previousCell), applied: apply, origin: 'manual', actorUserId, evaluationKey: null },
        this.clock.now(),
      );
      this.logger.log({ tenantId, cell: `${cell.operation}/${cell.complexity}`, action: outcome.action, applied: apply }, `promotion rule: ${outcome.reason}`);
      return { ...toView(saved as PromotionRow), decision: (outcome.evidence as { decision: unknown }).decision };
    });
  }

  /**
   * The worker's scheduled evaluation of every A/B cell of every tenant with A/B evidence: per the tenant's
   * setting, a met rule promotes or demotes at once (`auto`) or leaves one proposal (`propose`). Holds leave
   * nothing. `slot` names the run: a cell evaluated in a slot is not evaluated again in it (a re-run, or
   * a second worker), and a cell's evaluations never overlap.
   */
  async evaluateScheduled(slot: Date): Promise<ScheduledRun> {
    const now = this.clock.now();
    const run: ScheduledRun = { slot: slot.toISOString(), tenants: 0, cells: 0, promoted: 0, demoted: 0, proposed: 0, skipped: 0 };
    const tenants = await this.repo.tenantsToEvaluate(new Date(now.getTime() - EVIDENCE_DAYS * 86_400_000));
    await this.policy.reload();
    for (const tenantId of tenants) {
      const settings = await this.settings.get(tenantId);
      if (settings.promotionMode === 'off') continue;
      run.tenants++;
      const rule = { minJudged: settings.promotionMinJudged, margin: settings.promotionMargin };
      const cells = this.policy.view(tenantId).effective.filter((c) => c.abTest && c.abTest.share > 0 && c.candidates[0]);
      for (const cell of cells) {
        run.cells++;
        try {
          const done = await this.evaluateScheduledCell(tenantId, cell.operation, cell.complexity, rule, settings.promotionMode, slot);
          if (done === 'promote') run.promoted++;
          else if (done === 'demote') run.demoted++;
          else if (done === 'proposed') run.proposed++;
          else run.skipped++;
        } catch (err) {
          run.skipped++;
          this.logger.error({ tenantId, cell: `${cell.operation}/${cell.complexity}` }, `scheduled promotion evaluation failed: ${(err as Error).message}`);
        }
      }
    }
    return run;
  }

  private evaluateScheduledCell(
    tenantId: string,
    operation: string,
    complexity: Complexity,
    rule: PromotionRule,
    mode: PromotionMode,
    slot: Date,
  ): Promise<'promote' | 'demote' | 'proposed' | 'none'> {
    const evaluationKey = `scheduled:${slot.toISOString()}:${operation}:${complexity}`;
    return this.repo.withCellLock(tenantId, operation, complexity, async () => {
      if (await this.repo.hasEvaluation(tenantId, evaluationKey)) return 'none';
      // What another process may have changed meanwhile (its change message may not have arrived yet).
      await this.policy.reload();
      const cell = this.policy.view(tenantId).effective.find((c) => c.operation === operation && c.complexity === complexity);
      if (!cell?.abTest || cell.abTest.share <= 0 || !cell.candidates[0]) return 'none';
      const outcome = await this.weigh(tenantId, cell, rule);
      if (outcome.action === 'hold') return 'none';
      const previousCell = this.snapshot(tenantId, cell);
      const base = { ...this.rowOf(cell, outcome, previousCell), origin: 'scheduled' as const, actorUserId: null, evaluationKey };
      if (mode === 'auto') {
        await this.make(tenantId, cell, outcome, null);
        await this.repo.insert(tenantId, { ...base, applied: true }, this.clock.now());
        this.logger.log({ tenantId, cell: `${operation}/${complexity}`, action: outcome.action }, `scheduled promotion rule applied: ${outcome.reason}`);
        return outcome.action;
      }
      const since = await this.repo.lastChange(tenantId, operation, complexity);
      if (
        await this.repo.openProposal(tenantId, { operation, complexity, action: outcome.action, fromModel: outcome.fromModel, toModel: outcome.toModel }, since)
      )
        return 'none';
      await this.repo.insert(tenantId, { ...base, applied: false }, this.clock.now());
      this.logger.log({ tenantId, cell: `${operation}/${complexity}`, action: outcome.action }, `scheduled promotion rule proposes: ${outcome.reason}`);
      return 'proposed';
    });
  }

  async list(tenantId: string): Promise<PromotionView[]> {
    return (await this.repo.list(tenantId)).map(toView);
  }

  /** One click: applies a proposed promotion or demotion, if the cell is still as it was proposed for. */
  async approve(tenantId: string, id: string, userId: string | null): Promise<PromotionView> {
    const found = await this.repo.get(tenantId, id);
    if (!found) throw new NotFoundError('Promotion');
    return this.repo.withCellLock(tenantId, found.operation, found.complexity, async () => {
      const row = (await this.repo.get(tenantId, id)) as PromotionRow;
      if (row.action === 'hold') throw new ConflictError('This evaluation held: there is nothing to approve');
      if (row.revertedAt) throw new ConflictError('This proposal was reverted');
      if (row.applied) throw new ConflictError('This proposal was applied already');
      await this.policy.reload();
      const cell = this.policy.view(tenantId).effective.find((c) => c.operation === row.operation && c.complexity === row.complexity);
      if (!cell || cell.candidates[0] !== row.fromModel || cell.abTest?.challenger !== row.toModel)
        throw new ConflictError('The cell has changed since this was proposed: evaluate it again');
      const promotion = row.revertsId ? await this.repo.get(tenantId, row.revertsId) : null;
      const previousCell = this.snapshot(tenantId, cell);
      await this.make(
        tenantId,
        cell,
        { action: row.action, reason: row.reason, fromModel: row.fromModel, toModel: row.toModel, promotion, evidence: row.evidence },
        userId,
      );
      await this.repo.markApproved(tenantId, id, this.clock.now(), userId, previousCell);
      this.logger.log({ tenantId, promotionId: id, userId }, `${row.action} approved`);
      return toView((await this.repo.get(tenantId, id)) as PromotionRow);
    });
  }

  /** Puts the cell back as it was before an applied promotion or demotion (undoing a demotion restores its promotion). */
  async revert(tenantId: string, id: string, userId: string | null = null): Promise<PromotionView> {
    const found = await this.repo.get(tenantId, id);
    if (!found) throw new NotFoundError('Promotion');
    return this.repo.withCellLock(tenantId, found.operation, found.complexity, async () => {
      const row = (await this.repo.get(tenantId, id)) as PromotionRow;
      if (!row.applied) throw new ConflictError('This evaluation changed nothing: there is nothing to revert');
      if (!(await this.repo.markReverted(tenantId, id, this.clock.now(), userId))) throw new ConflictError('This was reverted already');
      await this.restore(tenantId, row.previousCell);
      if (row.action === 'demote' && row.revertsId) await this.repo.clearReverted(tenantId, row.revertsId);
      this.logger.log({ tenantId, promotionId: id, userId }, `${row.action} reverted`);
      return toView((await this.repo.get(tenantId, id)) as PromotionRow);
    });
  }

  private splitCell(tenantId: string, operation: string, complexity: Complexity): PolicyCell {
    const cell = this.policy.view(tenantId).effective.find((c) => c.operation === operation && c.complexity === complexity);
    if (!cell) throw new InvalidTrainingRequestError([`operation: no policy cell ${operation} × ${complexity}`]);
    if (!cell.abTest || !cell.candidates[0]) throw new InvalidTrainingRequestError([`operation: the cell ${operation} × ${complexity} has no A/B split`]);
    return cell;
  }

  private snapshot(tenantId: string, cell: PolicyCell): PromotionRow['previousCell'] {
    const override = this.policy.view(tenantId).tenant.some((c) => c.operation === cell.operation && c.complexity === cell.complexity);
    return { cell, override };
  }

  private rowOf(cell: PolicyCell, outcome: Outcome, previousCell: PromotionRow['previousCell']) {
    return {
      operation: cell.operation,
      complexity: cell.complexity,
      action: outcome.action,
      fromModel: outcome.fromModel,
      toModel: outcome.toModel,
      reason: outcome.reason,
      evidence: outcome.evidence,
      previousCell,
      revertsId: outcome.promotion?.id ?? null,
    };
  }

  /**
   * The rule on the cell as it stands. A cell whose leader came by the cell's latest promotion (the previous
   * leader is its challenger) is checked for regression first; any cell is then checked for promotion.
   */
  private async weigh(tenantId: string, cell: PolicyCell, rule: PromotionRule, from?: Date): Promise<Outcome> {
    const incumbent = cell.candidates[0] as string;
    const challenger = (cell.abTest as { challenger: string }).challenger;
    const now = this.clock.now();
    const changed = await this.repo.lastChange(tenantId, cell.operation, cell.complexity);
    const windowStart = new Date(now.getTime() - EVIDENCE_DAYS * 86_400_000);
    const since = from ?? (changed && changed > windowStart ? changed : windowStart);
    const { arms } = await this.report.report(tenantId, { from: since });
    const cellArms = arms.filter((a) => a.operation === cell.operation && a.complexity === cell.complexity);
    const inc = evidenceOf(cellArms, 'incumbent', incumbent);
    const ch = evidenceOf(cellArms, 'challenger', challenger);
    const evidence = (decision: unknown) => ({ rule, since: since.toISOString(), arms: cellArms, decision });
    const last = await this.repo.lastPromotion(tenantId, cell.operation, cell.complexity);
    if (last && last.toModel === incumbent && last.fromModel === challenger) {
      const d = decideDemotion(inc, ch, rule);
      if (d.action === 'demote')
        return { action: 'demote', reason: d.reason, fromModel: incumbent, toModel: challenger, promotion: last, evidence: evidence(d) };
    }
    const d = decidePromotion(inc, ch, rule);
    return { action: d.action, reason: d.reason, fromModel: incumbent, toModel: challenger, promotion: null, evidence: evidence(d) };
  }

  /** Makes a promotion (the challenger leads, the old leader keeps the share) or a demotion (its promotion undone). */
  private async make(tenantId: string, cell: PolicyCell, outcome: Outcome, userId: string | null): Promise<void> {
    if (outcome.action === 'promote') {
      const challenger = outcome.toModel;
      await this.policy.update(tenantId, false, {
        scope: 'tenant',
        cells: [
          {
            operation: cell.operation,
            complexity: cell.complexity,
            candidates: [challenger, ...cell.candidates.filter((m) => m !== challenger)],
            abTest: { challenger: outcome.fromModel, share: cell.abTest?.share ?? 0 },
          },
        ],
      });
    } else if (outcome.action === 'demote' && outcome.promotion) {
      await this.restore(tenantId, outcome.promotion.previousCell);
      await this.repo.markReverted(tenantId, outcome.promotion.id, this.clock.now(), userId);
    }
  }

  private async restore(tenantId: string, previous: PromotionRow['previousCell']): Promise<void> {
    const { cell, override } = previous;
    // No override before: an empty candidate list removes the tenant's override, the global cell applies again.
    await this.policy.update(tenantId, false, {
      scope: 'tenant',
      cells: [override ? cell : { operation: cell.operation, complexity: cell.complexity, candidates: [] }],
    });
  }
}
