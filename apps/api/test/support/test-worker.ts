import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { AnalysisWorkerModule } from '@margin/analysis';
import { ClockModule, ConfigModule, DatabaseModule, LoggingModule, QueueModule, RedisModule, type AppConfig } from '@margin/core';
import { CostTrackingCoreModule } from '@margin/cost-tracking';
import { IdentityWorkerModule } from '@margin/identity';
import { ModelRouterCoreModule } from '@margin/model-router';
import { ProvidersCoreModule } from '@margin/providers';

/** The worker's modules (as apps/worker composes them; an app cannot import another app), plus `extra` ones. */
export function testWorkerModule(config: AppConfig, extra: Array<Type | DynamicModule> = []): Type {
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ClockModule.forRoot(),
      RedisModule,
      LoggingModule.forRoot('worker'),
      DatabaseModule.forRoot(),
      QueueModule.forRoot(),
      IdentityWorkerModule,
      ProvidersCoreModule,
      CostTrackingCoreModule,
      ModelRouterCoreModule,
      AnalysisWorkerModule,
      ...extra,
    ],
  })
  class TestWorkerModule {}
  return TestWorkerModule;
}
