// Plans: a request (a sentence, or structured) turned into the steps, models, cost and time it would take, before
// anything runs; approved, it becomes a job. (Subscription plans — free/pro/unlimited — are PlanLimits.)
import type { JobSubmitResponse } from './analysis';

export const REQUEST_PLAN_STATUSES = ['needs_input', 'proposed', 'approved', 'completed', 'failed', 'cancelled'] as const;
export type RequestPlanStatus = (typeof REQUEST_PLAN_STATUSES)[number];

/** What the intake understood (from the sentence, or the structured request as given). */
export interface PlanIntake {
  profile: string | null;
  topic: string | null;
  audience: string | null;
  tone: string | null;
  keywords: string[];
  budgetUsd: number | null;
  /** ISO time. */
  deadline: string | null;
  /** Publishing targets the sentence named ("our blog", "LinkedIn"), as written. */
  endpointMentions: string[];
}

/** Something the plan cannot decide on its own: answered with PATCH `{answers: {[field]: value}}`. */
export interface PlanQuestion {
  field: string;
  question: string;
  /** Acceptable answers, when there are few (e.g. the matching endpoints' ids). */
  options?: Array<{ value: string; label: string }>;
}

export interface PlanStepView {
  /** The profile step's name. */
  step: string;
  operation: string;
  provider: string | null;
  model: string | null;
  /** Why this model: the policy cell, or the model chosen by hand, and what was skipped. */
  reason: string;
  /** true: chosen with PATCH (the job runs this step on it). */
  pinned: boolean;
  calls: number;
  inputTokens: number;
  /** Expected output tokens per call (the measured median for the operation when there is history). */
  outputTokens: number;
  costUsd: number;
  /** Every call at its worst: the measured 95th percentile of output tokens (or max_tokens), no cache. */
  worstCaseUsd: number;
  seconds: number;
}

export interface PlanEndpointView {
  id: string;
  name: string;
  type: string;
}

export interface RequestPlanView {
  id: string;
  status: RequestPlanStatus;
  /** The sentence, when the plan was asked for in words. */
  sentence: string | null;
  intake: PlanIntake;
  questions: PlanQuestion[];
  /** `key@version`. */
  profile: string | null;
  items: number;
  steps: PlanStepView[];
  costUsd: number;
  worstCaseUsd: number;
  seconds: number;
  cacheHits: number;
  budgetUsd: number | null;
  deadline: string | null;
  /** false: the expected cost is over the budget; `cheapest` then says what would fit, if anything does. */
  fitsBudget: boolean;
  cheapest: { steps: Array<{ step: string; model: string }>; costUsd: number } | null;
  endpoints: PlanEndpointView[];
  jobId: string | null;
  /** Once the job is finished: what it really cost and took, and the estimate's relative error. */
  actual: { costUsd: number; seconds: number; costError: number | null; secondsError: number | null } | null;
  createdAt: string;
  approvedAt: string | null;
}

export interface ApprovePlanResponse {
  plan: RequestPlanView;
  job: JobSubmitResponse;
}

/** Estimate accuracy over finished plans (a KPI). */
export interface PlanAccuracyView {
  plans: number;
  medianCostError: number | null;
  medianSecondsError: number | null;
}
