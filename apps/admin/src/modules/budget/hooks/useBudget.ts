import type { UpdateBudgetRequest } from '@margin/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { budgetQueryKey, fetchBudget, updateBudget } from '../api/budgetApi';

export function useBudget() {
  return useQuery({
    queryKey: budgetQueryKey,
    queryFn: ({ signal }) => fetchBudget(signal),
    staleTime: 15_000,
  });
}

export function useUpdateBudget() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: UpdateBudgetRequest) => updateBudget(request),
    onSuccess: (budget) => {
      queryClient.setQueryData(budgetQueryKey, budget);
      return queryClient.invalidateQueries({ queryKey: budgetQueryKey });
    },
  });
}
