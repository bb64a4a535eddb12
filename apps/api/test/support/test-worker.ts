import { Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { QUEUES, WORKER_HEARTBEAT_PREFIX } from '@margin/contracts';
import { AnalysisWorkerModule } from '@margin/analysis';
import { ClockModule, ConfigModule, DatabaseModule, LoggingModule, QueueModule, REDIS, RedisModule, type AppConfig } from '@margin/core';
import type Redis from 'ioredis';
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

/**
 * The heartbeat apps/worker writes (the fair queue hands items to Bull only for workers it sees): a test worker
 * context announces itself with this, and `stop` removes it.
 */
export async function announceTestWorker(worker: INestApplicationContext, id: string, concurrency = 2): Promise<{ stop: () => Promise<void> }> {
  const redis = worker.get<Redis>(REDIS);
  const key = `${WORKER_HEARTBEAT_PREFIX}${id}`;
  await redis.set(key, JSON.stringify({ id, pid: process.pid, queues: [QUEUES.analysis], concurrency }), 'EX', 600);
  return { stop: async () => void (await redis.del(key)) };
}
