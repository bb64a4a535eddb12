// Live counters from the progress feed go straight into the query cache: the job's own entry and every
// loaded page of every job list. No polling: the feed is the only thing that moves a running job on screen.
import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import type { JobCounters, JobView, Page } from '@margin/contracts';
import { countersAhead, mergeCounters, withPercentage, type JobState } from '../types/jobState';
import { jobListsQueryKey, jobQueryKey } from './jobsApi';

export type JobListData = InfiniteData<Page<JobState>, string | undefined>;

/**
 * The last counters the feed sent per job, per query client (so one session's never reach another's): a
 * GET that was in flight while they arrived is reconciled with them instead of moving the bar back.
 */
const latestCounters = new WeakMap<QueryClient, Map<string, JobCounters>>();

function latestFor(queryClient: QueryClient): Map<string, JobCounters> {
  let map = latestCounters.get(queryClient);
  if (!map) {
    map = new Map();
    latestCounters.set(queryClient, map);
  }
  return map;
}

/** A job fresh from the API, with anything newer the feed already said about it. */
export function reconcileJob(queryClient: QueryClient, job: JobView): JobState {
  const state = withPercentage(job);
  const latest = latestFor(queryClient).get(job.id);
  return latest && countersAhead(latest, state) ? mergeCounters(state, latest) : state;
}

/** Puts counters into the job's entry and every cached list page that shows the job. */
export function applyCounters(queryClient: QueryClient, counters: JobCounters): void {
  latestFor(queryClient).set(counters.jobId, counters);
  queryClient.setQueryData<JobState>(jobQueryKey(counters.jobId), (job) => (job ? mergeCounters(job, counters) : job));
  queryClient.setQueriesData<JobListData>({ queryKey: jobListsQueryKey }, (data) => {
    if (!data || !data.pages.some((page) => page.data.some((job) => job.id === counters.jobId))) return data;
    return {
      ...data,
      pages: data.pages.map((page) => ({
        ...page,
        data: page.data.map((job) => (job.id === counters.jobId ? mergeCounters(job, counters) : job)),
      })),
    };
  });
}

/** After a retry the failed count goes down again: older counters must not win over the fresh job. */
export function forgetCounters(queryClient: QueryClient, jobId: string): void {
  latestFor(queryClient).delete(jobId);
}

/** Stores a job the API just answered (cancel, retry) as the job's entry. */
export function storeJob(queryClient: QueryClient, job: JobView): void {
  queryClient.setQueryData<JobState>(jobQueryKey(job.id), withPercentage(job));
}

/** Whether any cached job list holds the job, i.e. whether its counters have anywhere to go. */
export function listsShowJob(queryClient: QueryClient, jobId: string): boolean {
  return queryClient
    .getQueriesData<JobListData>({ queryKey: jobListsQueryKey })
    .some(([, data]) => data?.pages.some((page) => page.data.some((job) => job.id === jobId)) ?? false);
}
