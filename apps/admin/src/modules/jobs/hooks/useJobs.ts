import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  cancelJob,
  estimateJob,
  fetchJob,
  fetchJobItems,
  fetchJobs,
  fetchProfiles,
  jobItemsQueryKey,
  jobItemsRootKey,
  jobListQueryKey,
  jobListsQueryKey,
  jobQueryKey,
  jobsQueryKey,
  profilesQueryKey,
  retryJob,
  submitJob,
  type JobItemsQuery,
  type JobListQuery,
  type SubmitJobRequest,
} from '../api/jobsApi';
import { forgetCounters, reconcileJob, storeJob } from '../api/jobsCache';

export function useProfiles() {
  return useQuery({
    queryKey: profilesQueryKey,
    queryFn: ({ signal }) => fetchProfiles(signal),
    staleTime: 60_000,
  });
}

/** The tenant's jobs, newest first, a server page at a time; the progress feed keeps the loaded ones current. */
export function useJobList(query: JobListQuery) {
  const queryClient = useQueryClient();
  return useInfiniteQuery({
    queryKey: jobListQueryKey(query),
    queryFn: async ({ signal, pageParam }) => {
      const page = await fetchJobs({ ...query, cursor: pageParam }, signal);
      return { ...page, data: page.data.map((job) => reconcileJob(queryClient, job)) };
    },
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.nextCursor ?? undefined,
    // Refetching every loaded page on focus would reshuffle what the person is reading; the feed keeps it live.
    refetchOnWindowFocus: false,
  });
}

export function useJob(id: string) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: jobQueryKey(id),
    queryFn: async ({ signal }) => reconcileJob(queryClient, await fetchJob(id, signal)),
  });
}

export function useJobItems(id: string, query: JobItemsQuery) {
  return useQuery({
    queryKey: jobItemsQueryKey(id, query),
    queryFn: ({ signal }) => fetchJobItems(id, query, signal),
    // Paging keeps the current rows on screen until the next ones arrive.
    placeholderData: keepPreviousData,
  });
}

/** What the batch would cost and take; nothing runs. Only asked for when the items are valid. */
export function useJobEstimate(request: SubmitJobRequest | null, fingerprint: string) {
  return useQuery({
    queryKey: [...jobsQueryKey, 'estimate', request?.profile ?? '', fingerprint] as const,
    queryFn: ({ signal }) => estimateJob(request as SubmitJobRequest, signal),
    enabled: request !== null,
    // Prices change under the estimate (the operator edits them): never reuse an old one for long.
    staleTime: 0,
    gcTime: 60_000,
  });
}

export function useSubmitJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: SubmitJobRequest) => submitJob(request),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: jobListsQueryKey }),
  });
}

export function useCancelJob(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => cancelJob(id),
    onSuccess: (job) => {
      storeJob(queryClient, job);
      return Promise.all([queryClient.invalidateQueries({ queryKey: jobItemsRootKey(id) }), queryClient.invalidateQueries({ queryKey: jobListsQueryKey })]);
    },
  });
}

export function useRetryJob(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => retryJob(id),
    onSuccess: (job) => {
      forgetCounters(queryClient, id);
      storeJob(queryClient, job);
      return Promise.all([queryClient.invalidateQueries({ queryKey: jobItemsRootKey(id) }), queryClient.invalidateQueries({ queryKey: jobListsQueryKey })]);
    },
  });
}
