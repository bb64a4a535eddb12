import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ServeStaticModule } from '@nestjs/serve-static';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig, Clock, ClockModule, ConfigModule, DatabaseModule, LoggingModule, QueueModule, REDIS, RedisModule } from '@margin/core';
import { AnalysisModule } from '@margin/analysis';
import { CostTrackingModule } from '@margin/cost-tracking';
import { IdentityModule } from '@margin/identity';
import { MetricsModule } from '@margin/metrics';
import { ModelRouterModule } from '@margin/model-router';
import { ProvidersModule } from '@margin/providers';
import { PublishingCoreModule, PublishingFigures, PublishingModule } from '@margin/publishing';
import { TrainingModule } from '@margin/training';
import type Redis from 'ioredis';
import { HealthController } from './health/health.controller';
import { ProvidersHealthIndicator, RedisHealthIndicator, WorkersHealthIndicator } from './health/indicators';
import { MIGRATIONS } from './migrations';
import { ClientThrottlerGuard, RedisThrottlerStorage } from './throttle';

/** Routes the SPA must never shadow: unknown paths under them are JSON 404s. */
export const NON_SPA_ROUTES = ['/api/{*path}', '/v1/{*path}', '/health', '/metrics', '/socket.io/{*path}', '/blog', '/blog/{*path}'];

@Module({
  imports: [
    RedisModule,
    LoggingModule.forRoot('api'),
    DatabaseModule.forRoot({ migrations: MIGRATIONS }),
    QueueModule.forRoot(),
    TerminusModule.forRoot({ errorLogStyle: 'pretty', gracefulShutdownTimeoutMs: 0 }),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: Redis) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.rateLimitPerMinute }],
        storage: new RedisThrottlerStorage(redis),
      }),
    }),
    ServeStaticModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => [{ rootPath: config.adminDistDir, exclude: NON_SPA_ROUTES }],
    }),
    IdentityModule,
    ProvidersModule,
    ModelRouterModule,
    CostTrackingModule,
    AnalysisModule,
    PublishingModule,
    // the marketing KPIs are publishing's figures
    MetricsModule.forRoot({ marketing: { imports: [PublishingCoreModule], useExisting: PublishingFigures } }),
    TrainingModule,
  ],
  controllers: [HealthController],
  providers: [RedisHealthIndicator, WorkersHealthIndicator, ProvidersHealthIndicator, { provide: APP_GUARD, useClass: ClientThrottlerGuard }],
})
export class AppModule {
  /** Validates the environment unless a config is given (tests pass their own). */
  static forRoot(config?: AppConfig, options: { clock?: Clock } = {}): DynamicModule {
    return { module: AppModule, imports: [ConfigModule.forRoot(config), ClockModule.forRoot(options.clock)] };
  }
}
