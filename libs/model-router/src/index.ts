export * from './model-router.module';
export * from './catalog/cost';
export { CatalogService, NoPriceError, PriceInPastError } from './catalog/catalog.service';
export { InvalidPolicyError, RoutingPolicyService, UnknownOperationError } from './policy/routing-policy.service';
export { RouterService, type RouteContext, type RoutePlan, type SkipReason } from './routing/router.service';
export { LlmExecutor, type ExecuteInput, type ExecuteOutcome, type LimiterOutcome } from './routing/llm-executor';
export {
  ContextLengthExceededError,
  LlmCallFailedError,
  NoCandidateError,
  PlanForbidsModelsError,
  ProvidersUnavailableError,
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
import { Routing1763900000100 } from './migrations/1763900000100-routing';
import { BatchTier1765400000400 } from './migrations/1765400000400-batch-tier';

export const MODEL_ROUTER_MIGRATIONS = [ModelCatalog1763800000100, Routing1763900000100, BatchTier1765400000400];
export { AbStatsService, type AbArmCalls } from './policy/ab-stats';
export { BatchTierService, type BatchRequestsSettled, type UnwantedJobs } from './batch/batch-tier.service';
export { BatchPoller } from './batch/batch-poller';
export { BatchRepository, type BatchRequestRow, type BatchRow } from './batch/batch.repository';
export { DeferredToBatchError } from './batch/deferred-to-batch.error';
export * from './batch/batch-policy';
