import type { DeliveryUpdatedEvent } from './publishing';
import type { AlertEvent } from './metrics';
import type { Complexity } from './providers';

export const JOB_STATUSES = ['queued', 'running', 'completed', 'completed_with_errors', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const ITEM_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const PRIORITIES = ['high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const CACHE_SCOPES = ['global', 'tenant'] as const;
export type CacheScope = (typeof CACHE_SCOPES)[number];

export interface ProfileStepView {
  name: string;
  operation: string;
  complexity: Complexity;
}

export interface ProfileView {
  key: string;
  version: number;
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  steps: ProfileStepView[];
  cacheScope: CacheScope;
  builtIn: boolean;
}

/** The counters GET /jobs/:id, the progress feed and job.completed share. */
export interface JobCounters {
  jobId: string;
  status: JobStatus;
  total: number;
  completed: number;
  failed: number;
  cached: number;
  /** (completed + failed) / total × 100, one decimal. */
  percentage: number;
  etaSeconds: number | null;
  costUsd: number;
  /**
   * Items are waiting for a model provider to come back (an outage, rate limits): they run again at
   * `waitingUntil`, without spending their attempts, until the job's patience (`maxWaitSeconds`) runs out.
   */
  waiting?: boolean;
  /** Why, in words (per model), while `waiting`. */
  waitingReason?: string | null;
  /** When the earliest provider is expected back (ISO 8601), while `waiting`. */
  waitingUntil?: string | null;
}

export interface JobView {
  id: string;
  name: string | null;
  profile: string;
  profileVersion: number;
  status: JobStatus;
  priority: Priority;
  totalItems: number;
  completedItems: number;
  failedItems: number;
  cachedItems: number;
  cancelledItems: number;
  costUsd: number;
  savedUsd: number;
  budgetUsd: number | null;
  etaSeconds: number | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * Items are waiting for a model provider to come back (an outage, rate limits): they run again at
   * `waitingUntil`, without spending their attempts, until the job's patience (`maxWaitSeconds`) runs out.
   */
  waiting?: boolean;
  /** Why, in words (per model), while `waiting`. */
  waitingReason?: string | null;
  /** When the earliest provider is expected back (ISO 8601), while `waiting`. */
  waitingUntil?: string | null;
  /** How long items may wait for providers before they fail (null: the tenant's default, GET /api/v1/job-settings). */
  maxWaitSeconds?: number | null;
  /** Where the job's results are cached and looked up: shared between tenants (`global`) or its own tenant's. */
  cacheScope?: CacheScope;
  /** When the results are needed by (ISO 8601), if the job said. */
  deadline?: string | null;
  /** Whether the job may wait for the providers' batch tier (null: the tenant's default). */
  deferrable?: boolean | null;
  /** `batch` when eligible calls may go through the providers' batch APIs (docs/batch-tier.md), else `live`. */
  tier?: CallTier;
}

/** How a call reached its provider: a live request, or a request of a provider batch (half price, within 24 h). */
export type CallTier = 'live' | 'batch';

/** A tenant's defaults for its jobs (GET/PUT /api/v1/job-settings). */
export interface JobSettingsView {
  /** How long a job's items may wait for model providers to come back before they fail, when the job does not say. */
  maxWaitSeconds: number;
  /** Jobs that do not say are deferrable (may use the batch tier). */
  deferrable: boolean;
}

export interface JobItemView {
  id: string;
  index: number;
  status: ItemStatus;
  input: unknown;
  result: unknown;
  cached: boolean;
  costUsd: number;
  model: string | null;
  error: string | null;
  attempts: number;
}

export interface JobSubmitResponse {
  id: string;
  status: JobStatus;
  totalItems: number;
  priority: Priority;
  estimate: { costUsd: number; seconds: number };
}

export interface JobEstimate {
  costUsd: number;
  seconds: number;
  cacheHits: number;
  steps: Array<{ operation: string; provider: string | null; model: string | null; calls: number; costUsd: number }>;
}

export interface AnalyzeResponse {
  /** null only for an instant answer whose profile has no instant pass and whose full result was not ready in time. */
  result: unknown;
  cached: boolean;
  costUsd: number;
  provider: string | null;
  model: string | null;
  latencyMs: number;
  /** `mode: "instant"` only: true when `result` is not the full analysis (an `analysis.enhanced` event follows). */
  provisional?: boolean;
  /** `mode: "instant"`, provisional answers: the queued full analysis (a one-item job of the tenant). */
  enhancement?: { jobId: string; itemId: string };
}

export const ANALYZE_MODES = ['wait', 'instant'] as const;
export type AnalyzeMode = (typeof ANALYZE_MODES)[number];

/** The full analysis that replaced a provisional instant answer (socket event and callback body). */
export interface AnalysisEnhancedEvent {
  jobId: string;
  itemId: string;
  profile: string;
  status: 'completed' | 'failed' | 'cancelled';
  /** The full result (null when the analysis failed or was cancelled). */
  result: unknown;
  error: string | null;
  model: string | null;
  costUsd: number;
  cached: boolean;
}

/** Items analyzed over a period (jobs created in it), and how many the cache served. */
export interface JobStats {
  from: string;
  to: string;
  jobs: number;
  items: number;
  completed: number;
  failed: number;
  cached: number;
  /** cached / completed, 0..1 (0 when nothing completed). */
  cacheHitRate: number;
}

// ---- Progress feed (socket.io namespace /progress) ----

export const PROGRESS_NAMESPACE = '/progress';

export type JobProgressEvent = JobCounters;

export interface ItemCompletedEvent {
  jobId: string;
  itemId: string;
  index: number;
  status: ItemStatus;
  cached: boolean;
  costUsd: number;
}

export type JobCompletedEvent = JobCounters;

export interface ProgressEvents {
  'job.progress': JobProgressEvent;
  'item.completed': ItemCompletedEvent;
  'job.completed': JobCompletedEvent;
  'budget.alert': { threshold: number; spentUsd: number; limitUsd: number };
  /** An alert rule started firing or resolved (metrics). */
  alert: AlertEvent;
  /** A delivery of a post to an endpoint changed status (publishing). */
  'delivery.updated': DeliveryUpdatedEvent;
  /** The full result of an instant analysis that was answered provisionally. */
  'analysis.enhanced': AnalysisEnhancedEvent;
  /** Sent just before the server disconnects a socket whose credentials no longer hold (key revoked, user deleted, token expired). */
  'auth.revoked': { message: string };
}

/** Rooms: one per job, one per tenant (all of its jobs). */
export const jobRoom = (jobId: string) => `job:${jobId}`;
export const tenantRoom = (tenantId: string) => `tenant:${tenantId}`;

// ---- Plans and quotas ----

export interface PlanLimits {
  plan: 'free' | 'pro' | 'unlimited';
  /** null: no limit. */
  maxJobsPerMonth: number | null;
  maxItemsPerMonth: number | null;
  maxItemsPerJob: number | null;
  /** Model tiers the plan may use. */
  allowedTiers: Array<'local' | 'cheap' | 'standard' | 'premium'>;
  /** The plan's weight when tenants of one priority take turns in the queue (1–1000; a weight of 2 gets twice the turns of 1). */
  fairShareWeight: number;
  /** How many of a tenant's items may be in the queue or running at once; null: no cap. */
  maxRunningItems: number | null;
}

export interface UsageThisMonth {
  jobs: number;
  items: number;
}
