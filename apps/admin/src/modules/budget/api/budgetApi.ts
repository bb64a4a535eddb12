import type { BudgetView, UpdateBudgetRequest } from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export const budgetQueryKey = ['budget'] as const;

export function fetchBudget(signal?: AbortSignal): Promise<BudgetView> {
  return apiRequest<BudgetView>('/budget', { signal });
}

export function updateBudget(request: UpdateBudgetRequest): Promise<BudgetView> {
  return apiRequest<BudgetView>('/budget', { method: 'PUT', body: request });
}
