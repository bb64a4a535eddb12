import { DynamicModule, Module } from '@nestjs/common';
import { QUEUES } from '@margin/contracts';
import { AppConfig, Clock, ClockModule, ConfigModule, DatabaseModule, LoggingModule, QueueModule, RedisModule } from '@margin/core';
import { AnalysisWorkerModule } from '@margin/analysis';
import { CostTrackingCoreModule } from '@margin/cost-tracking';
import { IdentityWorkerModule } from '@margin/identity';
import { MetricsWorkerModule } from '@margin/metrics';
import { ModelRouterBatchWorkerModule, ModelRouterCoreModule } from '@margin/model-router';
import { ProvidersCoreModule } from '@margin/providers';
import { PublishingWorkerModule } from '@margin/publishing';
import { TrainingWorkerModule } from '@margin/training';
import { WORKER_QUEUES, WorkerHeartbeatService } from './worker-heartbeat.service';

@Module({
  imports: [
    RedisModule,
    LoggingModule.forRoot('worker'),
    DatabaseModule.forRoot(),
    QueueModule.forRoot(),
    IdentityWorkerModule,
    ProvidersCoreModule,
    CostTrackingCoreModule,
    ModelRouterCoreModule,
    ModelRouterBatchWorkerModule,
    AnalysisWorkerModule,
    PublishingWorkerModule,
    MetricsWorkerModule,
    TrainingWorkerModule,
  ],
  providers: [{ provide: WORKER_QUEUES, useValue: [QUEUES.maintenance, QUEUES.analysis, QUEUES.publishing, QUEUES.metrics] }, WorkerHeartbeatService],
})
export class WorkerModule {
  static forRoot(config?: AppConfig, options: { clock?: Clock } = {}): DynamicModule {
    return { module: WorkerModule, imports: [ConfigModule.forRoot(config), ClockModule.forRoot(options.clock)] };
  }
}
