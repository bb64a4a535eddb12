// Training: examples recorded from calls, feedback on items, exports, datasets and eval sets.
import type { ChatMessage } from './chat';
import type { Complexity } from './providers';

export const EXAMPLE_SOURCES = ['job', 'analyze', 'v1'] as const;
export type ExampleSource = (typeof EXAMPLE_SOURCES)[number];

export const EXPORT_FORMATS = ['openai-jsonl', 'anthropic-jsonl', 'hf-jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExampleFeedbackView {
  rating: number;
  approved: boolean | null;
  /** Whether this example's answer was corrected (the corrected answer is what exports carry). */
  edited: boolean;
  comment: string | null;
}

export interface TrainingExampleView {
  id: string;
  source: ExampleSource;
  jobId: string | null;
  itemId: string | null;
  profileKey: string | null;
  profileVersion: number | null;
  step: string | null;
  round: number | null;
  operation: string;
  model: string;
  provider: string;
  /** The messages sent: system and user. */
  messages: ChatMessage[];
  /** The answer: its JSON for structured output, else its text. */
  output: unknown;
  inputHash: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
  quality: number | null;
  emulated: boolean;
  createdAt: string;
  feedback: ExampleFeedbackView | null;
}

export interface FeedbackRequest {
  rating: number;
  approved?: boolean;
  /** The corrected output: valid against the profile's output schema (or the step's, with `step`). */
  edits?: unknown;
  comment?: string;
  /** Correct one step's answer instead of the item's output. */
  step?: string;
}

export interface FeedbackView {
  id: string;
  itemId: string;
  jobId: string;
  rating: number;
  approved: boolean | null;
  edits: unknown;
  comment: string | null;
  step: string | null;
  /** The example the edits apply to (null when the item's answer came from the cache or was not recorded). */
  exampleId: string | null;
  createdAt: string;
  updatedAt: string;
}

export const PROMOTION_MODES = ['off', 'propose', 'auto'] as const;
/** What the scheduled promotion rule does when it is met: nothing, record a proposal for one click, or act. */
export type PromotionMode = (typeof PROMOTION_MODES)[number];

export interface TrainingSettingsView {
  recordExamples: boolean;
  retentionDays: number;
  promotionMode: PromotionMode;
  /** Judged (or rated) answers each A/B arm needs before the rule decides. */
  promotionMinJudged: number;
  /** Quality points (0–100) the challenger may be below the incumbent and still be promoted. */
  promotionMargin: number;
}

export interface UpdateTrainingSettingsRequest {
  recordExamples?: boolean;
  retentionDays?: number;
  promotionMode?: PromotionMode;
  promotionMinJudged?: number;
  promotionMargin?: number;
}

/** One evaluation of a cell's promotion rule, and what came of it. */
export interface PromotionView {
  id: string;
  operation: string;
  complexity: string;
  /** promote: the challenger leads; demote: a promotion is undone on regression; hold: nothing to do. */
  action: 'promote' | 'demote' | 'hold';
  /** The model leading the cell when evaluated, and the one that would lead after. */
  fromModel: string;
  toModel: string;
  applied: boolean;
  /** applied, proposed (awaiting one click), reverted, or held. */
  status: 'applied' | 'proposed' | 'reverted' | 'held';
  origin: 'manual' | 'scheduled';
  actorUserId: string | null;
  reason: string;
  evidence: unknown;
  createdAt: string;
  approvedAt: string | null;
  approvedBy: string | null;
  revertedAt: string | null;
  revertedBy: string | null;
  /** A demotion: the promotion it undid. */
  revertsId: string | null;
}

export interface DatasetView {
  id: string;
  name: string;
  version: number;
  format: ExportFormat;
  filters: Record<string, unknown>;
  examples: number;
  createdAt: string;
}

export interface EvalSetView {
  id: string;
  name: string;
  profileKey: string;
  builtIn: boolean;
  items: number;
  createdAt: string;
}

export type EvalRunStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface EvalScores {
  /** song-analysis against `expected`: 1 when the verdicts agree. */
  verdictAgreement?: number;
  /** song-analysis: |score − expected score|. */
  scoreError?: number;
  /** song-analysis: F1 of the concern categories. */
  concernF1?: number;
  /** The judge's overall score (0–100), without `expected`. */
  judged?: number;
}

export interface EvalRunItemView {
  seq: number;
  status: 'completed' | 'failed';
  output: unknown;
  error: string | null;
  scores: EvalScores | null;
  quality: number | null;
  costUsd: number;
  latencyMs: number;
}

export interface EvalRunTotals {
  items: number;
  completed: number;
  failed: number;
  /** Mean quality (0–100) over the scored items. */
  quality: number | null;
  verdictAgreement: number | null;
  scoreMae: number | null;
  concernF1: number | null;
  costUsd: number;
  meanLatencyMs: number | null;
}

export interface EvalRunView {
  id: string;
  evalSetId: string;
  model: string;
  judgeModel: string | null;
  status: EvalRunStatus;
  error: string | null;
  totals: EvalRunTotals;
  items?: EvalRunItemView[];
  createdAt: string;
  finishedAt: string | null;
}

/** One side of `GET /training/evals/:id/compare`: an item's figures in one run (null: the run has no such item). */
export interface EvalCompareCell {
  status: 'completed' | 'failed';
  quality: number | null;
  costUsd: number;
  latencyMs: number;
  scores: EvalScores | null;
}

/** `GET /training/evals/:id/compare?a=&b=`: the two runs (without their items) and their items side by side. */
export interface EvalCompareView {
  runs: [EvalRunView, EvalRunView];
  items: Array<{ seq: number; a: EvalCompareCell | null; b: EvalCompareCell | null }>;
}

export interface CreateEvalSetRequest {
  name: string;
  profile: string;
  items?: Array<{ input: Record<string, unknown>; expected?: unknown }>;
  datasetId?: string;
}

export interface CreateEvalRunRequest {
  model: string;
  judgeModel?: string;
}

/** The filters examples, exports and datasets share (dates: ISO date-times, `to` exclusive). */
export interface ExampleFiltersQuery {
  profile?: string;
  operation?: string;
  source?: ExampleSource;
  model?: string;
  jobId?: string;
  itemId?: string;
  minRating?: number;
  approvedOnly?: boolean;
  from?: string;
  to?: string;
}

export interface CreateDatasetRequest {
  name: string;
  format?: ExportFormat;
  filters?: ExampleFiltersQuery;
  dedupe?: boolean;
}

/** `GET /training/export` with `split` and no `part`: the paths of both parts. */
export interface ExportSplitLinks {
  split: number;
  train: string;
  validation: string;
}

/** One A/B arm of a split policy cell in `GET /training/ab-report`. */
export interface AbArmView {
  operation: string;
  complexity: string | null;
  arm: 'incumbent' | 'challenger';
  model: string;
  /** Attempts booked in the ledger, failures included. */
  calls: number;
  failures: number;
  costUsd: number;
  /** Answers with an assessed quality, and their mean (0–100). */
  judged: number;
  quality: number | null;
  /** Answers people rated, and the mean rating (1–5). */
  rated: number;
  rating: number | null;
}

export interface AbReportView {
  from: string;
  to: string;
  arms: AbArmView[];
}

/** `POST /training/promotions`: weigh a cell's arms by the promotion rule; with `apply`, promote the challenger. */
export interface EvaluatePromotionRequest {
  operation: string;
  complexity: Complexity;
  minJudged?: number;
  margin?: number;
  apply?: boolean;
}
