export * from './metrics.module';
export { MarginMetrics, BoundedLabel, type MetricsProcess } from './prometheus/margin-metrics';
export { WorkerMetricsServer } from './prometheus/metrics-server';
export { ScrapeCollectors, limiterUtilization } from './prometheus/scrape-collectors';
