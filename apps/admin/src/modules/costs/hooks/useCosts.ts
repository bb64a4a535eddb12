import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { costCallsQueryKey, costSummaryQueryKey, fetchCostCalls, fetchCostSummary, type CostCallsQuery, type CostSummaryQuery } from '../api/costsApi';

export function useCostSummary(query: CostSummaryQuery, options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: costSummaryQueryKey(query),
    queryFn: ({ signal }) => fetchCostSummary(query, signal),
    staleTime: 15_000,
    enabled: options.enabled ?? true,
  });
}

/** The ledger, newest first, one server page at a time (keyset cursor). */
export function useCostCalls(query: Omit<CostCallsQuery, 'cursor'>) {
  return useInfiniteQuery({
    queryKey: costCallsQueryKey(query),
    queryFn: ({ signal, pageParam }) => fetchCostCalls({ ...query, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.nextCursor ?? undefined,
    // Refetching every loaded page on focus would reshuffle what the person is reading.
    refetchOnWindowFocus: false,
  });
}
