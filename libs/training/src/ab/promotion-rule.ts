// The promotion rule: when may a cell's challenger take the incumbent's place?

export interface ArmEvidence {
  model: string;
  /** Successful answers and their exact total cost. */
  answered: number;
  costUsd: number;
  /** Answers with an assessed quality (0–100) and their mean. */
  judged: number;
  quality: number | null;
  /** Answers people rated (1–5) and their mean. */
  rated: number;
  rating: number | null;
}

export interface PromotionRule {
  /** Judged answers each arm needs before the rule decides. */
  minJudged: number;
  /** How far (quality points, 0–100) the challenger may be below the incumbent and still win. */
  margin: number;
}

export interface PromotionDecision {
  action: 'promote' | 'hold';
  reason: string;
  /** The quality compared (assessed, or ratings × 20 when too few are assessed). */
  incumbentQuality: number | null;
  challengerQuality: number | null;
  incumbentCostPerCall: number | null;
  challengerCostPerCall: number | null;
}

/** The arm's quality on 0–100: the assessed mean when enough answers are assessed, else people's ratings × 20. */
function qualityOf(arm: ArmEvidence, minJudged: number): { value: number; basis: string } | null {
  if (arm.judged >= minJudged && arm.quality !== null) return { value: arm.quality, basis: 'assessed' };
  if (arm.rated >= minJudged && arm.rating !== null) return { value: arm.rating * 20, basis: 'rated' };
  return null;
}

/**
 * Promote when the challenger's quality is within `margin` of the incumbent's, each over at least
 * `minJudged` judged answers, and each of its answers costs less. Otherwise hold, saying what is missing.
 * The same rule demotes: after a promotion the old incumbent is the challenger, and it wins back the cell
 * if the new one regresses.
 */
export function decidePromotion(incumbent: ArmEvidence, challenger: ArmEvidence, rule: PromotionRule): PromotionDecision {
  const perCall = (a: ArmEvidence): number | null => (a.answered > 0 ? a.costUsd / a.answered : null);
  const base = { incumbentCostPerCall: perCall(incumbent), challengerCostPerCall: perCall(challenger) };
  const qi = qualityOf(incumbent, rule.minJudged);
  const qc = qualityOf(challenger, rule.minJudged);
  const quality = { incumbentQuality: qi?.value ?? null, challengerQuality: qc?.value ?? null };
  if (!qi || !qc) {
    const need = [!qi ? `${incumbent.model} (incumbent)` : null, !qc ? `${challenger.model} (challenger)` : null].filter(Boolean).join(' and ');
    return { action: 'hold', reason: `not enough evidence: ${need} needs ${rule.minJudged} judged answers`, ...quality, ...base };
  }
  if (qc.value < qi.value - rule.margin)
    return {
      action: 'hold',
      reason: `the challenger's quality ${qc.value.toFixed(1)} is more than ${rule.margin} below the incumbent's ${qi.value.toFixed(1)}`,
      ...quality,
      ...base,
    };
  const ci = base.incumbentCostPerCall ?? Infinity;
  const cc = base.challengerCostPerCall ?? Infinity;
  if (!(cc < ci)) return { action: 'hold', reason: `the challenger costs no less per answer ($${cc} vs $${ci})`, ...quality, ...base };
  return {
    action: 'promote',
    reason: `the challenger's quality ${qc.value.toFixed(1)} (${qc.basis}) is within ${rule.margin} of the incumbent's ${qi.value.toFixed(1)} at a lower cost per answer`,
    ...quality,
    ...base,
  };
}

export interface DemotionDecision {
  action: 'demote' | 'hold';
  reason: string;
  incumbentQuality: number | null;
  challengerQuality: number | null;
}

/**
 * After a promotion the cell's old incumbent keeps its share as the challenger. Demote (undo the promotion)
 * when the promoted model has regressed: its quality, over at least `minJudged` judged answers on each arm,
 * is more than `margin` below the old incumbent's. Cost plays no part: a cheaper model that got worse goes.
 */
export function decideDemotion(promoted: ArmEvidence, previous: ArmEvidence, rule: PromotionRule): DemotionDecision {
  const qp = qualityOf(promoted, rule.minJudged);
  const qo = qualityOf(previous, rule.minJudged);
  const quality = { incumbentQuality: qp?.value ?? null, challengerQuality: qo?.value ?? null };
  if (!qp || !qo) {
    const need = [!qp ? `${promoted.model} (promoted)` : null, !qo ? `${previous.model} (previous incumbent)` : null].filter(Boolean).join(' and ');
    return { action: 'hold', reason: `not enough evidence to judge the promotion: ${need} needs ${rule.minJudged} judged answers`, ...quality };
  }
  if (qp.value < qo.value - rule.margin)
    return {
      action: 'demote',
      reason: `regression: the promoted model's quality ${qp.value.toFixed(1)} (${qp.basis}) is more than ${rule.margin} below the previous incumbent's ${qo.value.toFixed(1)}`,
      ...quality,
    };
  return { action: 'hold', reason: `the promotion holds: quality ${qp.value.toFixed(1)} against the previous incumbent's ${qo.value.toFixed(1)}`, ...quality };
}
