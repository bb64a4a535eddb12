import type { JobStats, ItemStatus, JobEstimate, JobItemView, JobStatus, JobSubmitResponse, JobView, Page, Priority, ProfileView } from '@margin/contracts';
import { apiDownload, apiRequest } from '../../../shared/api/client';

/** POST /jobs and /jobs/estimate: the items already mapped to the profile's input fields. */
export interface SubmitJobRequest {
  profile: string;
  name?: string;
  priority?: Priority | 'auto';
  budgetUsd?: number;
  items: Array<Record<string, unknown>>;
  metadata?: Record<string, unknown>;
}

export interface JobListQuery {
  status?: JobStatus;
  limit: number;
}

export interface JobItemsQuery {
  status?: ItemStatus;
  limit: number;
  /** The last index of the previous page. */
  cursor?: string;
}

export type ResultsFormat = 'json' | 'jsonl' | 'csv';

/** POST /jobs/:id/retry answers the job and how many failed items went back in the queue. */
export type RetryJobResponse = JobView & { retriedItems: number };

export const jobsQueryKey = ['jobs'] as const;
export const jobListsQueryKey = [...jobsQueryKey, 'list'] as const;
export const profilesQueryKey = ['profiles'] as const;

export function jobListQueryKey(query: JobListQuery) {
  return [...jobListsQueryKey, query] as const;
}

export function jobQueryKey(id: string) {
  return [...jobsQueryKey, 'detail', id] as const;
}

/** Every page of one job's items (kept apart from jobQueryKey, so refetching items leaves the job alone). */
export function jobItemsRootKey(id: string) {
  return [...jobsQueryKey, 'items', id] as const;
}

export function jobItemsQueryKey(id: string, query: JobItemsQuery) {
  return [...jobItemsRootKey(id), query] as const;
}

function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const jobPath = (id: string) => `/jobs/${encodeURIComponent(id)}`;

export function fetchProfiles(signal?: AbortSignal): Promise<ProfileView[]> {
  return apiRequest<ProfileView[]>('/profiles', { signal });
}

export function fetchJobs(query: JobListQuery & { cursor?: string }, signal?: AbortSignal): Promise<Page<JobView>> {
  return apiRequest<Page<JobView>>(`/jobs${queryString({ status: query.status, limit: query.limit, cursor: query.cursor })}`, {
    signal,
  });
}

export function fetchJob(id: string, signal?: AbortSignal): Promise<JobView> {
  return apiRequest<JobView>(jobPath(id), { signal });
}

export function fetchJobItems(id: string, query: JobItemsQuery, signal?: AbortSignal): Promise<Page<JobItemView>> {
  return apiRequest<Page<JobItemView>>(`${jobPath(id)}/items${queryString({ status: query.status, limit: query.limit, cursor: query.cursor })}`, { signal });
}

export function estimateJob(request: SubmitJobRequest, signal?: AbortSignal): Promise<JobEstimate> {
  return apiRequest<JobEstimate>('/jobs/estimate', { method: 'POST', body: request, signal });
}

export function submitJob(request: SubmitJobRequest): Promise<JobSubmitResponse> {
  return apiRequest<JobSubmitResponse>('/jobs', { method: 'POST', body: request });
}

export function cancelJob(id: string): Promise<JobView> {
  return apiRequest<JobView>(`${jobPath(id)}/cancel`, { method: 'POST' });
}

export function retryJob(id: string): Promise<RetryJobResponse> {
  return apiRequest<RetryJobResponse>(`${jobPath(id)}/retry`, { method: 'POST' });
}

export function downloadResults(id: string, format: ResultsFormat): Promise<Blob> {
  return apiDownload(`${jobPath(id)}/results${queryString({ format })}`);
}

export const jobStatsQueryKey = (from: string) => ['jobs', 'stats', from] as const;

/** Items analyzed since `from` and the cache hit rate. */
export function fetchJobStats(from: string, signal?: AbortSignal): Promise<JobStats> {
  return apiRequest<JobStats>(`/jobs/stats${queryString({ from })}`, { signal });
}
