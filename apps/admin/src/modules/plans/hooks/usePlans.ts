import type { RequestPlanView } from '@margin/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  approvePlan,
  createPlan,
  fetchPlan,
  fetchPlanAccuracy,
  fetchPlans,
  planAccuracyQueryKey,
  planListQueryKey,
  planQueryKey,
  plansQueryKey,
  updatePlan,
  type CreatePlanRequest,
  type UpdatePlanRequest,
} from '../api/plansApi';
import { isRunning } from '../types/planStatus';

/** While the approved plan's job runs, how often the plan is read again (its status, then the actual cost). */
export const RUNNING_PLAN_REFRESH_MS = 5000;

export function usePlanList() {
  return useQuery({ queryKey: planListQueryKey, queryFn: ({ signal }) => fetchPlans(signal) });
}

export function usePlanAccuracy() {
  return useQuery({ queryKey: planAccuracyQueryKey, queryFn: ({ signal }) => fetchPlanAccuracy(signal) });
}

export function usePlan(id: string) {
  return useQuery({
    queryKey: planQueryKey(id),
    queryFn: ({ signal }) => fetchPlan(id, signal),
    refetchInterval: (query) => (query.state.data && isRunning(query.state.data.status) ? RUNNING_PLAN_REFRESH_MS : false),
  });
}

/** The plan as the server now has it: shown at once, and the list (status, cost) read again. */
function useStorePlan() {
  const queryClient = useQueryClient();
  return (plan: RequestPlanView) => {
    queryClient.setQueryData(planQueryKey(plan.id), plan);
    return queryClient.invalidateQueries({ queryKey: planListQueryKey });
  };
}

export function useCreatePlan() {
  const store = useStorePlan();
  return useMutation({ mutationFn: (request: CreatePlanRequest) => createPlan(request), onSuccess: store });
}

export function useUpdatePlan(id: string) {
  const store = useStorePlan();
  return useMutation({ mutationFn: (request: UpdatePlanRequest) => updatePlan(id, request), onSuccess: store });
}

export function useApprovePlan(id: string) {
  const queryClient = useQueryClient();
  const store = useStorePlan();
  return useMutation({
    mutationFn: () => approvePlan(id),
    onSuccess: (response) => store(response.plan),
    // A refusal (409) may come from a plan that changed under us (prices, budget): show what it is now.
    onError: () => queryClient.invalidateQueries({ queryKey: plansQueryKey }),
  });
}
