import type { PlanQuestion, PlanStepView, RequestPlanView } from '@margin/contracts';
import type { EndpointChoice } from './intake-rules';
import type { RequestPlanRow } from './request-plans.repository';

/** A publishing target the sentence named, and what became of it (an endpoint, left out, or still to decide). */
export interface MentionState {
  mention: string;
  /** The endpoint's id; 'none' when the tenant left it out; null while undecided. */
  choice: string | null;
  candidates: EndpointChoice[];
}

/** What a plan stores of its estimate (besides the totals in their own columns). */
export interface PlanEstimateRecord {
  steps: PlanStepView[];
  worstCaseUsd: number;
  cacheHits: number;
  fitsBudget: boolean;
  cheapest: RequestPlanView['cheapest'];
  endpoints: RequestPlanView['endpoints'];
  mentions: MentionState[];
}

const relError = (estimate: number, actual: number) => (actual > 0 ? Math.abs(estimate - actual) / actual : null);

export function toPlanView(row: RequestPlanRow): RequestPlanView {
  const e = row.estimate;
  const costUsd = Number(row.costUsd);
  const actual =
    row.actualCostUsd !== null && row.actualSeconds !== null
      ? {
          costUsd: Number(row.actualCostUsd),
          seconds: row.actualSeconds,
          costError: relError(costUsd, Number(row.actualCostUsd)),
          secondsError: relError(row.seconds, row.actualSeconds),
        }
      : null;
  return {
    id: row.id,
    status: row.status,
    sentence: row.sentence,
    intake: row.intake,
    questions: row.questions as PlanQuestion[],
    profile: row.profileKey ? `${row.profileKey}@${row.profileVersion}` : null,
    items: row.items.length,
    steps: e.steps,
    costUsd,
    worstCaseUsd: e.worstCaseUsd,
    seconds: row.seconds,
    cacheHits: e.cacheHits,
    budgetUsd: row.budgetUsd === null ? null : Number(row.budgetUsd),
    deadline: row.deadline ? row.deadline.toISOString() : null,
    fitsBudget: e.fitsBudget,
    cheapest: e.cheapest,
    endpoints: e.endpoints,
    jobId: row.jobId,
    actual,
    createdAt: row.createdAt.toISOString(),
    approvedAt: row.approvedAt ? row.approvedAt.toISOString() : null,
  };
}
