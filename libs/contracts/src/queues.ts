// Queue names and job payloads shared by the API (producer) and the worker (consumer).

export const QUEUES = {
  maintenance: 'maintenance',
  analysis: 'analysis',
  publishing: 'publishing',
  /** Scheduled metrics work: the daily roll-up and the alert evaluation (repeatable jobs). */
  metrics: 'metrics',
} as const;

/** Bull job names on the publishing queue. */
export const PUBLISHING_JOBS = {
  /** Publish (or re-publish) one delivery: `DeliveryJobPayload`. */
  deliver: 'delivery.publish',
  /** Repeatable: deliveries left in `publishing` past their lease, and retries Redis lost. */
  sweep: 'delivery.sweep',
  /** Repeatable: each published remote copy read back (deleted/edited remotely, engagement). */
  syncBack: 'delivery.sync-back',
} as const;

export interface DeliveryJobPayload {
  tenantId: string;
  deliveryId: string;
}

export const METRICS_JOBS = {
  rollup: 'metrics.rollup',
  evaluateAlerts: 'metrics.alerts',
} as const;

/** A roll-up of one UTC day (YYYY-MM-DD); without `day`, the repeatable run: yesterday and the day before. */
export interface RollupPayload {
  day?: string;
}

/** One Bull job per item; Bull's jobId is the item id, so an item is never queued twice. */
export interface AnalysisItemPayload {
  tenantId: string;
  jobId: string;
  itemId: string;
  /** Attempts the item's earlier queue entries failed (before it waited for a provider): they count toward its limit. */
  spentAttempts?: number;
}

/** Bull priorities: lower runs first. */
export const BULL_PRIORITY = { high: 1, medium: 5, low: 10 } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const MAINTENANCE_JOBS = {
  touchApiKey: 'api-key.touch',
  /** Tell an instant analysis's caller(s) its full result is in: `EnhancedPayload` (Bull job id `enhanced:<itemId>`). */
  analysisEnhanced: 'analysis.enhanced',
  /** Repeatable: enhancements whose completion no worker reported (a crash between the item's commit and the telling). */
  analysisEnhancedSweep: 'analysis.enhanced-sweep',
} as const;

export interface EnhancedPayload {
  tenantId: string;
  itemId: string;
}

export interface TouchApiKeyPayload {
  tenantId: string;
  apiKeyId: string;
  /** ISO time the key was used. */
  usedAt: string;
}

/** Workers announce themselves here (a key per worker with a TTL) so /health can count them. */
export const WORKER_HEARTBEAT_PREFIX = 'margin:workers:';
export const WORKER_HEARTBEAT_TTL_SECONDS = 15;
/** A worker beats every TTL/3 s; /health counts it only while its last beat is younger than this (TTL plus clock-skew slack). */
export const WORKER_HEARTBEAT_FRESH_SECONDS = 20;

export interface WorkerHeartbeat {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  startedAt: string;
  seenAt: string;
}
