export * from './model-router.module';
export * from './catalog/cost';
export { CatalogService, NoPriceError, PriceInPastError, InvalidModelError } from './catalog/catalog.service';
export { fineTunedNameProblem } from './catalog/fine-tuned';
export { CatalogSnapshot } from './catalog/catalog-snapshot';
export { InvalidPolicyError, RoutingPolicyService, UnknownOperationError } from './policy/routing-policy.service';
export { FEATURE_PARAMS, RouterService, type RouteContext, type RoutePlan, type SkipReason } from './routing/router.service';
export { LlmExecutor, featuresUsed, needsTools, type CallParams, type ExecuteInput, type ExecuteOutcome, type LimiterOutcome } from './routing/llm-executor';
export {
  ContextLengthExceededError,
  LlmCallFailedError,
  NoCandidateError,
  PlanForbidsModelsError,
  ProvidersUnavailableError,
  UnsupportedParameterError,
} from './routing/execution.errors';
export { CallObservers, type CallTrace, type LlmCallObserver, type ObservedCall } from './routing/call-observers';
export { outcomeLabel, describeOutcomes, nothingSent, type AttemptOutcome } from './routing/attempt-outcome';
export { PlanTiersSource } from './routing/plan-tiers';
export { outageOf, blockerFromError, blockerFromSkip, blockerFromCircuit, type Blocker } from './routing/availability';
export { DEFAULT_MAX_TOKENS, estimateInputTokens } from './routing/estimate';
export { RateLimiter, RateLimiterService, Lease, type ModelLimits } from './limits/rate-limiter';
export { CircuitBreaker, CircuitBreakerService, type CircuitState } from './limits/circuit-breaker';
export { hashTag } from './limits/script-helpers';
export { OpenAiErrorFilter } from './gateway/openai-error.filter';
import { ModelCatalog1763800000100 } from './migrations/1763800000100-model-catalog';
import { OllamaToolsCapability1765400000200 } from './migrations/1765400000200-ollama-tools-capability';
import { Routing1763900000100 } from './migrations/1763900000100-routing';
import { FineTunedModels1765400000000 } from './migrations/1765400000000-fine-tuned-models';
import { EmbeddingModels1765400000300 } from './migrations/1765400000300-embedding-models';
import { BatchTier1765400000400 } from './migrations/1765400000400-batch-tier';

export const MODEL_ROUTER_MIGRATIONS = [
  ModelCatalog1763800000100,
  Routing1763900000100,
  FineTunedModels1765400000000,
  OllamaToolsCapability1765400000200,
  EmbeddingModels1765400000300,
  BatchTier1765400000400,
];
export { AbStatsService, type AbArmCalls } from './policy/ab-stats';
export { EmbeddingsService, type EmbedOutcome } from './gateway/embeddings.service';
export { IdempotencyStore } from './gateway/idempotency.store';
export { ResponsesStore } from './gateway/responses.store';
export { BatchTierService, type BatchRequestsSettled, type UnwantedJobs } from './batch/batch-tier.service';
export { BatchPoller } from './batch/batch-poller';
export { BatchRepository, type BatchRequestRow, type BatchRow } from './batch/batch.repository';
export { DeferredToBatchError } from './batch/deferred-to-batch.error';
export * from './batch/batch-policy';
