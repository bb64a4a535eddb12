import type { CostGroupBy, CostSummary, LlmCallView, Page } from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export interface CostSummaryQuery {
  groupBy: CostGroupBy;
  /** ISO date-time; the server defaults to the start of this month (UTC). */
  from?: string;
  to?: string;
}

export interface CostCallsQuery {
  jobId?: string;
  limit: number;
  cursor?: string;
}

export const costsQueryKey = ['costs'] as const;

export function costSummaryQueryKey(query: CostSummaryQuery) {
  return [...costsQueryKey, 'summary', query] as const;
}

export function costCallsQueryKey(query: Omit<CostCallsQuery, 'cursor'>) {
  return [...costsQueryKey, 'calls', query] as const;
}

function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function fetchCostSummary(query: CostSummaryQuery, signal?: AbortSignal): Promise<CostSummary> {
  return apiRequest<CostSummary>(`/costs/summary${queryString({ groupBy: query.groupBy, from: query.from, to: query.to })}`, {
    signal,
  });
}

export function fetchCostCalls(query: CostCallsQuery, signal?: AbortSignal): Promise<Page<LlmCallView>> {
  return apiRequest<Page<LlmCallView>>(`/costs/calls${queryString({ jobId: query.jobId, limit: query.limit, cursor: query.cursor })}`, { signal });
}
