// KPIs, time series, revenue and alerts (GET /api/v1/metrics/*, /api/v1/alerts*), shared by the API and the SPA.

export interface BusinessKpis {
  jobsCreated: number;
  jobsCompleted: number;
  itemsAnalyzed: number;
  itemsFailed: number;
  itemsCached: number;
  /** Cached ÷ analyzed items; null when no item finished in the range. */
  cacheHitRate: number | null;
  /** Mean quality score of the assessed calls (0–100); null when none was scored. */
  avgQualityScore: number | null;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
}

export interface MarketingKpis {
  postsCreated: number;
  postsPublished: number;
  deliveriesFailed: number;
  endpointsActive: number;
  /** Where the figures come from: `publishing`, or `none` while no publishing module provides them (then all 0). */
  source: 'publishing' | 'none';
}

export interface FinancialKpis {
  /** Equals GET /costs/summary `totalUsd` for the same range. */
  costUsd: number;
  savedUsd: number;
  revenueUsd: number;
  profitUsd: number;
  /** Null when no item was analyzed. */
  costPerItemUsd: number | null;
  /** Null when no post was published. */
  costPerPostUsd: number | null;
  /** (revenue − cost) ÷ cost; null when cost is 0 (see roiReason). */
  roi: number | null;
  roiReason: 'no_cost' | null;
  /** Exact decimal strings (12 decimals). */
  costUsdExact: string;
  revenueUsdExact: string;
}

/** Cost against quality for one model and operation (the assess steps' scores, recorded on the calls they judged). */
export interface ModelQualityRow {
  model: string;
  operation: string;
  /** Attempts booked, failed ones included. */
  calls: number;
  costUsd: number;
  costUsdExact: string;
  /** Null when no call was made. */
  costPerCallUsd: number | null;
  /** Calls that carry a quality score. */
  scoredCalls: number;
  /** Mean score of the scored calls (the profile's scale, 0–100 for the built-ins); null when none was scored. */
  avgQuality: number | null;
}

export interface KpiView {
  from: string;
  to: string;
  business: BusinessKpis;
  marketing: MarketingKpis;
  financial: FinancialKpis;
  /** Per model and operation, ordered by model then operation. */
  costVsQuality: ModelQualityRow[];
}

export const TIMESERIES_METRICS = ['cost_usd', 'saved_usd', 'items', 'cache_hit_rate', 'quality', 'revenue_usd'] as const;
export type TimeseriesMetric = (typeof TIMESERIES_METRICS)[number];
export const TIMESERIES_GRANULARITIES = ['day', 'hour'] as const;
export type TimeseriesGranularity = (typeof TIMESERIES_GRANULARITIES)[number];

export interface TimeseriesPoint {
  /** The bucket's start (UTC). */
  t: string;
  /** Null for a rate with nothing to divide (no item, no scored call) in the bucket. */
  value: number | null;
  /** Money metrics: the exact decimal string. */
  exact?: string;
}

export interface TimeseriesView {
  metric: TimeseriesMetric;
  granularity: TimeseriesGranularity;
  /** The range aligned to whole buckets. */
  from: string;
  to: string;
  points: TimeseriesPoint[];
  /** Money and count metrics: the sum over the points (exact for money); rates: the rate over the whole range. */
  total: number | null;
  totalExact?: string;
}

export interface RevenueView {
  id: string;
  amountUsd: number;
  amountUsdExact: string;
  occurredAt: string;
  source: string;
  postId: string | null;
  jobId: string | null;
  note: string | null;
  externalId: string | null;
  createdAt: string;
}

export interface CreateRevenueRequest {
  amountUsd: number;
  occurredAt: string;
  source: string;
  postId?: string;
  jobId?: string;
  note?: string;
  externalId?: string;
}

export interface RevenueImportResult {
  imported: number;
  /** Rows whose externalId was booked before (re-importing a file books nothing twice). */
  skipped: number;
}

export const ALERT_KINDS = ['queue_depth', 'failure_rate', 'daily_spend', 'circuit_open', 'limiter_saturated', 'first_result_latency'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertRule {
  /** Stable id chosen by the admin (letters, digits, dashes): the `rule` of every alert it raises. */
  id: string;
  kind: AlertKind;
  enabled: boolean;
  /**
   * queue_depth: jobs waiting; failure_rate: 0..1; daily_spend: USD; limiter_saturated: 0..1; circuit_open: ignored;
   * first_result_latency: seconds from a job's creation to its first item result (the alert's value: the slowest
   * job's, counting a job still without a result by how long it has waited).
   */
  threshold: number;
  /** failure_rate: the window in minutes; first_result_latency: the jobs created in the last windowMinutes (default 60). */
  windowMinutes?: number;
  /** queue_depth: which queue (default analysis). circuit_open / limiter_saturated: one model id, or every model. */
  queue?: string;
  model?: string;
}

export type AlertState = 'firing' | 'resolved';

export interface AlertView {
  id: string;
  rule: string;
  kind: AlertKind;
  state: AlertState;
  value: number;
  threshold: number;
  /** What is alerting (a model id, a queue); empty for the tenant as a whole. */
  subject: string;
  startedAt: string;
  resolvedAt: string | null;
}

/** Progress socket event `alert`. */
export interface AlertEvent {
  rule: string;
  state: AlertState;
  value: number;
  subject?: string;
}
