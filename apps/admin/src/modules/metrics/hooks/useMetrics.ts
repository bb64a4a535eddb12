import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TimeseriesGranularity, TimeseriesMetric } from '@margin/contracts';
import { alertsQueryKey, fetchAlertRules, fetchAlerts, fetchKpis, fetchTimeseries, metricsQueryKey, saveAlertRules, type RangeQuery } from '../api/metricsApi';

export function useKpis(range: RangeQuery) {
  return useQuery({ queryKey: [...metricsQueryKey, 'kpis', range], queryFn: ({ signal }) => fetchKpis(range, signal), staleTime: 15_000 });
}

export function useTimeseries(metric: TimeseriesMetric, granularity: TimeseriesGranularity, range: RangeQuery) {
  return useQuery({
    queryKey: [...metricsQueryKey, 'timeseries', metric, granularity, range],
    queryFn: ({ signal }) => fetchTimeseries(metric, granularity, range, signal),
    staleTime: 15_000,
  });
}

export function useAlerts() {
  return useQuery({ queryKey: [...alertsQueryKey, 'list'], queryFn: ({ signal }) => fetchAlerts(signal), refetchInterval: 30_000 });
}

export function useAlertRules() {
  return useQuery({ queryKey: [...alertsQueryKey, 'rules'], queryFn: ({ signal }) => fetchAlertRules(signal) });
}

export function useSaveAlertRules() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: saveAlertRules,
    onSuccess: (data) => client.setQueryData([...alertsQueryKey, 'rules'], data),
  });
}
