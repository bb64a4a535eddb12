import { useQuery } from '@tanstack/react-query';
import { fetchHealth, healthQueryKey } from '../api/healthApi';

export function useHealth() {
  return useQuery({
    queryKey: healthQueryKey,
    queryFn: ({ signal }) => fetchHealth(signal),
    staleTime: 30_000,
    refetchInterval: 60_000,
  });
}
