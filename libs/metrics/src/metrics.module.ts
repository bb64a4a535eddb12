import { BullModule } from '@nestjs/bull';
import { type DynamicModule, type MiddlewareConsumer, Module, type ModuleMetadata, type NestModule, type Type } from '@nestjs/common';
import { QUEUES } from '@margin/contracts';
import { AnalysisCoreModule } from '@margin/analysis';
import { CostTrackingCoreModule } from '@margin/cost-tracking';
import { AppConfig } from '@margin/core';
import { IdentityCoreModule } from '@margin/identity';
import { ModelRouterCoreModule } from '@margin/model-router';
import { AlertEvaluator } from './alerts/alert-evaluator';
import { AlertNotifier } from './alerts/alert-notifier';
import { AlertsRepository } from './alerts/alerts.repository';
import { AlertsService } from './alerts/alerts.service';
import { DailyMetricsRepository } from './kpis/daily-metrics.repository';
import { FigureSources } from './kpis/figure-sources';
import { KpiService } from './kpis/kpi.service';
import { MARKETING_FIGURES, type MarketingFiguresSource } from './kpis/marketing-figures.port';
import { MetricsProcessor } from './kpis/metrics.processor';
import { RollupService } from './kpis/rollup.service';
import { KpiController, StripeWebhookController } from './metrics.controller';
import { HttpMetricsMiddleware } from './prometheus/http-metrics.middleware';
import { MarginMetrics, type MetricsProcess } from './prometheus/margin-metrics';
import { MetricsController } from './prometheus/metrics.controller';
import { WorkerMetricsServer } from './prometheus/metrics-server';
import { MetricsRecorder } from './prometheus/metrics-recorder';
import { ScrapeCollectors } from './prometheus/scrape-collectors';
import { RevenueRepository } from './revenue/revenue.repository';
import { RevenueService } from './revenue/revenue.service';

/** This process's registry and the recorder that feeds it from the ledger, the executor and the progress publisher. */
@Module({})
export class MetricsCoreModule {
  static forProcess(kind: MetricsProcess): DynamicModule {
    return {
      module: MetricsCoreModule,
      imports: [CostTrackingCoreModule, ModelRouterCoreModule, AnalysisCoreModule],
      providers: [
        { provide: MarginMetrics, inject: [AppConfig], useFactory: (config: AppConfig) => new MarginMetrics(kind, config.metrics.instance) },
        MetricsRecorder,
      ],
      exports: [MarginMetrics],
    };
  }
}

/**
 * API side: GET /metrics (with the deployment-wide gauges) and HTTP timing; KPIs, time series, revenue, the
 * Stripe webhook, alert rules and alerts. The marketing KPIs read MARKETING_FIGURES when the app provides it.
 */
@Module({
  imports: [MetricsCoreModule.forProcess('api'), CostTrackingCoreModule, ModelRouterCoreModule, AnalysisCoreModule, IdentityCoreModule],
  controllers: [MetricsController, KpiController, StripeWebhookController],
  providers: [
    ScrapeCollectors,
    HttpMetricsMiddleware,
    FigureSources,
    DailyMetricsRepository,
    KpiService,
    // the API can recompute a day too (tests, an operator's one-off); the schedule runs in the worker
    RollupService,
    RevenueRepository,
    RevenueService,
    AlertsRepository,
    AlertsService,
  ],
  exports: [MetricsCoreModule],
})
export class MetricsModule implements NestModule {
  /**
   * The same module with the marketing KPIs fed by `marketing.useExisting` (publishing's implementation of
   * MarketingFiguresSource), from the modules that provide it. Plain `MetricsModule`: marketing KPIs are 0.
   */
  static forRoot(options: { marketing?: { imports: NonNullable<ModuleMetadata['imports']>; useExisting: Type<MarketingFiguresSource> } } = {}): DynamicModule {
    const marketing = options.marketing;
    return {
      module: MetricsModule,
      imports: marketing?.imports ?? [],
      providers: marketing ? [{ provide: MARKETING_FIGURES, useExisting: marketing.useExisting }] : [],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}

/** Worker side: this worker's registry on METRICS_PORT, the daily roll-up and the alert evaluation. */
@Module({
  imports: [
    MetricsCoreModule.forProcess('worker'),
    BullModule.registerQueue({ name: QUEUES.metrics }),
    CostTrackingCoreModule,
    ModelRouterCoreModule,
    AnalysisCoreModule,
    IdentityCoreModule,
  ],
  providers: [
    WorkerMetricsServer,
    FigureSources,
    DailyMetricsRepository,
    RevenueRepository,
    RollupService,
    AlertsRepository,
    AlertNotifier,
    AlertEvaluator,
    MetricsProcessor,
  ],
  exports: [MetricsCoreModule],
})
export class MetricsWorkerModule {}
