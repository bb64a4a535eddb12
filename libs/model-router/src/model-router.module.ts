import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CostTrackingCoreModule } from '@margin/cost-tracking';
import { ProvidersCoreModule } from '@margin/providers';
import { CatalogController } from './catalog/catalog.controller';
import { CatalogRepository } from './catalog/catalog.repository';
import { CatalogService } from './catalog/catalog.service';
import { CatalogSnapshot } from './catalog/catalog-snapshot';
import { ModelPriceEntity } from './catalog/model-price.entity';
import { ModelEntity } from './catalog/model.entity';
import { OpenAiGatewayController } from './gateway/openai-gateway.controller';
import { CompletionsController } from './gateway/completions.controller';
import { EmbeddingsController } from './gateway/embeddings.controller';
import { EmbeddingsService } from './gateway/embeddings.service';
import { GatewaySupport } from './gateway/gateway-support';
import { IdempotencyInterceptor } from './gateway/idempotency.interceptor';
import { IdempotencyStore } from './gateway/idempotency.store';
import { ResponsesController } from './gateway/responses.controller';
import { ResponsesStore } from './gateway/responses.store';
import { CircuitBreakerService } from './limits/circuit-breaker';
import { RateLimiterService } from './limits/rate-limiter';
import { RouterController } from './policy/router.controller';
import { RoutingPolicyEntity } from './policy/routing-policy.entity';
import { RoutingPolicyRepository } from './policy/routing-policy.repository';
import { RoutingPolicyService } from './policy/routing-policy.service';
import { AbStatsService } from './policy/ab-stats';
import { CallObservers } from './routing/call-observers';
import { LlmExecutor } from './routing/llm-executor';
import { RouterService } from './routing/router.service';
import { BatchPoller } from './batch/batch-poller';
import { BatchRepository } from './batch/batch.repository';
import { BatchTierService } from './batch/batch-tier.service';

/** Catalog, pricing, policy, limits and the executor, for any process. */
@Module({
  imports: [TypeOrmModule.forFeature([ModelEntity, ModelPriceEntity, RoutingPolicyEntity]), ProvidersCoreModule, CostTrackingCoreModule],
  providers: [
    CatalogRepository,
    CatalogSnapshot,
    CatalogService,
    RoutingPolicyRepository,
    RoutingPolicyService,
    RateLimiterService,
    CircuitBreakerService,
    RouterService,
    CallObservers,
    AbStatsService,
    BatchRepository,
    BatchTierService,
    LlmExecutor,
  ],
  exports: [
    CatalogService,
    RoutingPolicyService,
    RouterService,
    LlmExecutor,
    RateLimiterService,
    CircuitBreakerService,
    CallObservers,
    AbStatsService,
    BatchTierService,
  ],
})
export class ModelRouterCoreModule {}

/** The worker's side of the batch tier: the loop that flushes, polls and books provider batches. */
@Module({ imports: [ModelRouterCoreModule], providers: [BatchPoller], exports: [BatchPoller] })
export class ModelRouterBatchWorkerModule {}

/** HTTP side: catalog, policy and route explanation (within the tenant's budget). */
@Module({
  imports: [ModelRouterCoreModule, CostTrackingCoreModule],
  controllers: [CatalogController, RouterController, OpenAiGatewayController, ResponsesController, EmbeddingsController, CompletionsController],
  providers: [
    GatewaySupport,
    ResponsesStore,
    IdempotencyStore,
    EmbeddingsService,
    // Idempotency-Key on every /v1 POST (it passes everything else through)
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
  exports: [ModelRouterCoreModule],
})
export class ModelRouterModule {}
