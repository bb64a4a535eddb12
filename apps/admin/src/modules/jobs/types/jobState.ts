import type { ItemStatus, JobCounters, JobStatus, JobView } from '@margin/contracts';
import type { BadgeTone } from '../../../shared/components/Badge';

/**
 * A job as the SPA caches it: the API's JobView plus the progress percentage the feed sends, so the bar
 * shows the server's number (which counts cancelled items as done) rather than a recomputed one.
 */
export interface JobState extends JobView {
  percentage: number;
}

const TERMINAL: ReadonlySet<JobStatus> = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled']);

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.has(status);
}

/** The server's own formula (job-views.ts): done / total × 100, one decimal. */
export function withPercentage(job: JobView): JobState {
  const done = job.completedItems + job.failedItems + job.cancelledItems;
  const percentage = job.totalItems > 0 ? Math.round((done / job.totalItems) * 1000) / 10 : 0;
  return { ...job, percentage };
}

export function mergeCounters(job: JobState, counters: JobCounters): JobState {
  return {
    ...job,
    status: counters.status,
    totalItems: counters.total,
    completedItems: counters.completed,
    failedItems: counters.failed,
    cachedItems: counters.cached,
    costUsd: counters.costUsd,
    etaSeconds: counters.etaSeconds,
    percentage: counters.percentage,
    // Counters from before the waiting fields existed say nothing about them: keep what is known.
    ...(counters.waiting !== undefined
      ? { waiting: counters.waiting, waitingReason: counters.waitingReason ?? null, waitingUntil: counters.waitingUntil ?? null }
      : {}),
  };
}

/**
 * Whether counters from the feed are newer than a job read over HTTP: a GET that left before the last event
 * must not put the bar back. Progress only moves forward, and a finished job stays finished.
 */
export function countersAhead(counters: JobCounters, job: JobState): boolean {
  const fromFeed = counters.completed + counters.failed;
  const fromHttp = job.completedItems + job.failedItems;
  if (fromFeed !== fromHttp) return fromFeed > fromHttp;
  // Same progress, but items started or stopped waiting for a provider.
  if (counters.waiting !== undefined && counters.waiting !== (job.waiting ?? false)) return true;
  return (isTerminal(counters.status) && !isTerminal(job.status)) || counters.percentage > job.percentage;
}

const JOB_STATUS_LABELS: Record<JobStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  completed_with_errors: 'Completed with errors',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const JOB_STATUS_TONES: Record<JobStatus, BadgeTone> = {
  queued: 'neutral',
  running: 'accent',
  completed: 'success',
  completed_with_errors: 'warning',
  failed: 'danger',
  cancelled: 'neutral',
};

const ITEM_STATUS_LABELS: Record<ItemStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const ITEM_STATUS_TONES: Record<ItemStatus, BadgeTone> = {
  queued: 'neutral',
  running: 'accent',
  completed: 'success',
  failed: 'danger',
  cancelled: 'neutral',
};

export function jobStatusLabel(status: JobStatus): string {
  return JOB_STATUS_LABELS[status];
}

export function jobStatusTone(status: JobStatus): BadgeTone {
  return JOB_STATUS_TONES[status];
}

export function itemStatusLabel(status: ItemStatus): string {
  return ITEM_STATUS_LABELS[status];
}

export function itemStatusTone(status: ItemStatus): BadgeTone {
  return ITEM_STATUS_TONES[status];
}

export function jobTitle(job: Pick<JobView, 'name'>): string {
  return job.name?.trim() ? job.name : 'Untitled job';
}
