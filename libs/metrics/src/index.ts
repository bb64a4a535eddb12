export * from './metrics.module';
export { MarginMetrics, BoundedLabel, type MetricsProcess } from './prometheus/margin-metrics';
export { WorkerMetricsServer } from './prometheus/metrics-server';
export { ScrapeCollectors, limiterUtilization } from './prometheus/scrape-collectors';
export { MARKETING_FIGURES, type MarketingFigures, type MarketingFiguresSource } from './kpis/marketing-figures.port';
export { KpiService } from './kpis/kpi.service';
export { RollupService } from './kpis/rollup.service';
export { AlertEvaluator } from './alerts/alert-evaluator';
export { signature as alertSignature } from './alerts/alert-notifier';
export { RAW_BODY_ROUTES } from './metrics.controller';
import { Metrics1765200000200 } from './migrations/1765200000200-metrics';

export const METRICS_MIGRATIONS = [Metrics1765200000200];
