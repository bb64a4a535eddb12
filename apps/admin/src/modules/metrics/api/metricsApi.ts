import type { AlertRule, AlertView, KpiView, TimeseriesGranularity, TimeseriesMetric, TimeseriesView } from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export interface RangeQuery {
  /** ISO date-times; the server defaults to this month so far. */
  from?: string;
  to?: string;
}

export interface AlertRulesView {
  rules: AlertRule[];
  webhook: { url: string; format: 'margin' | 'slack'; secretSet: boolean } | null;
}

export const metricsQueryKey = ['metrics'] as const;
export const alertsQueryKey = ['alerts'] as const;

function queryString(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function fetchKpis(range: RangeQuery, signal?: AbortSignal): Promise<KpiView> {
  return apiRequest<KpiView>(`/metrics/kpis${queryString({ from: range.from, to: range.to })}`, { signal });
}

export function fetchTimeseries(
  metric: TimeseriesMetric,
  granularity: TimeseriesGranularity,
  range: RangeQuery,
  signal?: AbortSignal,
): Promise<TimeseriesView> {
  return apiRequest<TimeseriesView>(`/metrics/timeseries${queryString({ metric, granularity, from: range.from, to: range.to })}`, { signal });
}

export function fetchAlerts(signal?: AbortSignal): Promise<AlertView[]> {
  return apiRequest<AlertView[]>('/alerts?limit=100', { signal });
}

export function fetchAlertRules(signal?: AbortSignal): Promise<AlertRulesView> {
  return apiRequest<AlertRulesView>('/alerts/rules', { signal });
}

export function saveAlertRules(body: {
  rules: AlertRule[];
  webhook?: { url: string; secret?: string; format: 'margin' | 'slack' } | null;
}): Promise<AlertRulesView> {
  return apiRequest<AlertRulesView>('/alerts/rules', { method: 'PUT', body });
}
