import { useQuery } from '@tanstack/react-query';
import { fetchMe, meQueryKey } from '../api/authApi';

export function useMe() {
  return useQuery({
    queryKey: meQueryKey,
    queryFn: ({ signal }) => fetchMe(signal),
    staleTime: 60_000,
  });
}
