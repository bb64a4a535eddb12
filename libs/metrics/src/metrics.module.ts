import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { AnalysisCoreModule } from '@margin/analysis';
import { CostTrackingCoreModule } from '@margin/cost-tracking';
import { AppConfig } from '@margin/core';
import { ModelRouterCoreModule } from '@margin/model-router';
import { HttpMetricsMiddleware } from './prometheus/http-metrics.middleware';
import { MarginMetrics, type MetricsProcess } from './prometheus/margin-metrics';
import { MetricsController } from './prometheus/metrics.controller';
import { WorkerMetricsServer } from './prometheus/metrics-server';
import { MetricsRecorder } from './prometheus/metrics-recorder';
import { ScrapeCollectors } from './prometheus/scrape-collectors';

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

/** API side: GET /metrics (with the deployment-wide gauges), HTTP timing. */
@Module({
  imports: [MetricsCoreModule.forProcess('api'), CostTrackingCoreModule, ModelRouterCoreModule],
  controllers: [MetricsController],
  providers: [ScrapeCollectors, HttpMetricsMiddleware],
  exports: [MetricsCoreModule],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}

/** Worker side: this worker's registry on METRICS_PORT. */
@Module({
  imports: [MetricsCoreModule.forProcess('worker')],
  providers: [WorkerMetricsServer],
  exports: [MetricsCoreModule],
})
export class MetricsWorkerModule {}
