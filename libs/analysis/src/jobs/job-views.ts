import type { JobCounters, JobItemView, JobView } from '@margin/contracts';
import { picoToUsd, usdToPico } from '@margin/core';
import type { JobItemEntity } from './job-item.entity';
import type { JobEntity } from './job.entity';

const usd = (decimal: string | null) => (decimal === null ? null : picoToUsd(usdToPico(decimal)));

/** Items wait for a provider: what for and until when (absent once a model answers or the job is over). */
export function waitingOf(job: JobEntity): { waiting: boolean; waitingReason: string | null; waitingUntil: string | null } {
  const open = job.status === 'queued' || job.status === 'running';
  if (!open || !job.waitingUntil) return { waiting: false, waitingReason: null, waitingUntil: null };
  return { waiting: true, waitingReason: job.waitingReason, waitingUntil: job.waitingUntil.toISOString() };
}

/** Seconds left at the pace so far (null until the first item is done); while waiting, at least until the provider is expected back. */
export function etaSeconds(job: JobEntity, now: Date): number | null {
  const done = job.completedItems + job.failedItems + job.cancelledItems;
  const remaining = job.totalItems - done;
  if (remaining <= 0 || job.status === 'cancelled') return 0;
  const back = waitingOf(job).waiting && job.waitingUntil ? Math.max(0, Math.ceil((job.waitingUntil.getTime() - now.getTime()) / 1000)) : null;
  if (!job.startedAt || done === 0) return back;
  const elapsed = (now.getTime() - job.startedAt.getTime()) / 1000;
  const pace = Math.max(0, Math.round((elapsed / done) * remaining));
  return back === null ? pace : Math.max(pace, back);
}

export function toCounters(job: JobEntity, now: Date): JobCounters {
  const done = job.completedItems + job.failedItems + job.cancelledItems;
  return {
    jobId: job.id,
    status: job.status,
    total: job.totalItems,
    completed: job.completedItems,
    failed: job.failedItems,
    cached: job.cachedItems,
    percentage: Math.round((done / job.totalItems) * 1000) / 10,
    etaSeconds: etaSeconds(job, now),
    costUsd: usd(job.costUsd) ?? 0,
    ...waitingOf(job),
  };
}

export function toJobView(job: JobEntity, now: Date): JobView {
  return {
    id: job.id,
    name: job.name,
    profile: job.profileKey,
    profileVersion: job.profileVersion,
    status: job.status,
    priority: job.priority,
    totalItems: job.totalItems,
    completedItems: job.completedItems,
    failedItems: job.failedItems,
    cachedItems: job.cachedItems,
    cancelledItems: job.cancelledItems,
    costUsd: usd(job.costUsd) ?? 0,
    savedUsd: usd(job.savedUsd) ?? 0,
    budgetUsd: job.budgetUsd === null ? null : Number(job.budgetUsd),
    etaSeconds: etaSeconds(job, now),
    metadata: job.metadata,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    ...waitingOf(job),
    maxWaitSeconds: job.maxWaitSeconds ?? null,
    ...(job.cacheScope ? { cacheScope: job.cacheScope } : {}),
    deadline: job.deadline?.toISOString() ?? null,
    deferrable: job.deferrable ?? null,
    tier: job.deferrable || job.deadline ? 'batch' : 'live',
  };
}

export function toItemView(item: JobItemEntity): JobItemView {
  return {
    id: item.id,
    index: item.index,
    status: item.status,
    input: item.input,
    result: item.result ?? null,
    cached: item.cached,
    costUsd: usd(item.costUsd) ?? 0,
    model: item.model,
    error: item.error,
    attempts: item.attempts,
  };
}
