export interface LlmCallView {
  id: string;
  jobId: string | null;
  itemId: string | null;
  operation: string;
  provider: string;
  model: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costUsd: number;
  latencyMs: number;
  /** `success` or the error kind. */
  outcome: string;
  error: string | null;
  routingReason: string | null;
  fallbackFrom: string | null;
  emulated: boolean;
  /** `batch` for a request of a provider batch (priced at the batch price), else `live`. */
  tier?: 'live' | 'batch';
  createdAt: string;
}

export const COST_GROUP_BY = ['provider', 'model', 'operation', 'day', 'job'] as const;
export type CostGroupBy = (typeof COST_GROUP_BY)[number];

export interface CostSummaryRow {
  key: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface CostSummary {
  from: string;
  to: string;
  totalUsd: number;
  /** Routing savings plus cache savings. */
  savedUsd: number;
  /** What the same calls would have cost more on the policy's premium candidate. */
  savedByRoutingUsd: number;
  /** What items served from the cache cost when they were first analyzed. */
  savedByCacheUsd: number;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  rows: CostSummaryRow[];
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface BudgetView {
  /** null: no monthly limit. */
  monthlyLimitUsd: number | null;
  alertThresholds: number[];
  hardStop: boolean;
  periodStart: string;
  resetsAt: string;
  spentUsd: number;
  /** Reserved for calls in flight. */
  reservedUsd: number;
  alerts: Array<{ threshold: number; spentUsd: number; limitUsd: number; at: string }>;
}

export interface UpdateBudgetRequest {
  monthlyLimitUsd: number | null;
  alertThresholds?: number[];
  hardStop?: boolean;
}

/** Published on Redis (and relayed to the progress feed) when spend crosses a threshold. */
export interface BudgetAlertEvent {
  tenantId: string;
  threshold: number;
  spentUsd: number;
  limitUsd: number;
}

export const EVENTS_CHANNEL = 'margin:events';
