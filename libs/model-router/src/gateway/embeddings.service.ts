import { Injectable, Logger } from '@nestjs/common';
import { BudgetService, LedgerService } from '@margin/cost-tracking';
import { Clock, type PicoUsd } from '@margin/core';
import type { Principal } from '@margin/identity';
import { ProviderBadRequestError, ProviderError, ProviderRateLimitedError, type EmbedResult } from '@margin/providers';
import { randomUUID } from 'node:crypto';
import { CatalogService } from '../catalog/catalog.service';
import type { ModelEntity } from '../catalog/model.entity';
import { CircuitBreakerService } from '../limits/circuit-breaker';
import { RateLimiterService } from '../limits/rate-limiter';
import { ContextLengthExceededError, LlmCallFailedError, NoCandidateError, ProvidersUnavailableError } from '../routing/execution.errors';
import { RouterService } from '../routing/router.service';
import { GatewaySupport, InvalidParamError, UnknownModelError } from './gateway-support';

export const EMBEDDINGS_OPERATION = 'embeddings';

/** Errors that say something about the model's health. */
const BREAKER_KINDS = new Set(['server_error', 'timeout', 'stream_interrupted', 'unavailable', 'auth']);

export interface EmbedCall {
  model: string;
  input: string[];
  dimensions?: number;
  signal?: AbortSignal;
}

export interface EmbedOutcome {
  result: EmbedResult;
  model: ModelEntity;
  costPico: PicoUsd;
  /** Resolves once the call is booked (ledger, budget, limiter, breaker). */
  settled: Promise<void>;
}

/** An input longer than the embedding model's window: OpenAI's `context_length_exceeded`, about `input`. */
export class EmbeddingInputTooLongError extends ContextLengthExceededError {
  readonly param = 'input';
}

/** Per input, a generous token estimate (≈ 3 characters a token) for the window check and the reservations. */
export function estimateEmbeddingTokens(text: string): number {
  return Math.ceil(text.length / 3) + 1;
}

/**
 * One embeddings call the way every call in Margin runs, for the one model asked for (embedding models are not
 * interchangeable: vectors of two models do not compare): plan (catalog, plan tier, circuit, context window) →
 * global rate limit → budget reservation → provider → ledger row at the exact cost (input tokens at the price
 * in force), budget, limiter and breaker settled.
 */
@Injectable()
export class EmbeddingsService {
  private readonly logger = new Logger(EmbeddingsService.name);

  constructor(
    private readonly support: GatewaySupport,
    private readonly router: RouterService,
    private readonly catalog: CatalogService,
    private readonly limiter: RateLimiterService,
    private readonly breaker: CircuitBreakerService,
    private readonly budgets: BudgetService,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
  ) {}

  async embed(principal: Principal, call: EmbedCall): Promise<EmbedOutcome> {
    const entry = this.support.findModel(call.model);
    if (!entry) throw new UnknownModelError(call.model);
    if (!entry.capabilities.includes('embeddings')) {
      throw new InvalidParamError(
        'model',
        `${entry.id} is not an embedding model (capabilities: ${entry.capabilities.join(', ') || 'none'})`,
        'model_not_supported',
      );
    }
    const allowedTiers = await this.support.allowedTiers(principal.tenantId);
    this.support.assertPlanAllows(entry, allowedTiers);
    const perInput = call.input.map(estimateEmbeddingTokens);
    const totalTokens = perInput.reduce((a, b) => a + b, 0);
    const plan = await this.router.plan({
      tenantId: principal.tenantId,
      operation: EMBEDDINGS_OPERATION,
      complexity: 'simple',
      // the window applies to each input on its own
      inputTokens: Math.max(...perInput),
      maxTokens: 0,
      budgetRemainingPico: null,
      models: [entry.id],
      allowedTiers,
    });
    const candidate = plan.candidates[0];
    if (!candidate) {
      const skip = plan.skipped[0];
      if (skip?.reason === 'context-window') {
        throw new EmbeddingInputTooLongError(`An input is longer than ${entry.id}'s ${entry.contextWindow}-token window: shorten it or split it`, []);
      }
      if (skip?.reason === 'circuit-open') {
        const ms = skip.retryAfterMs ?? 1000;
        throw new ProvidersUnavailableError(EMBEDDINGS_OPERATION, `${entry.id}: ${skip.detail}`, ms, new Date(this.clock.now().getTime() + ms), []);
      }
      throw new NoCandidateError(`${entry.id} cannot take embeddings calls: ${skip?.detail ?? 'not available'}`, []);
    }
    const provider = candidate.provider;
    if (!provider.embed) throw new InvalidParamError('model', `${entry.id}'s provider (${entry.providerId}) has no embeddings API`, 'model_not_supported');
    if (candidate.circuit.state !== 'closed' || candidate.circuit.failures > 0) {
      const gate = await this.breaker.canPass(entry.id);
      if (!gate.allowed) {
        const ms = gate.retryAfterMs ?? 1000;
        throw new ProvidersUnavailableError(EMBEDDINGS_OPERATION, `${entry.id}: circuit open`, ms, new Date(this.clock.now().getTime() + ms), []);
      }
    }
    const limits = { rpm: entry.rpm, tpm: entry.tpm, maxConcurrency: entry.maxConcurrency };
    const acquired = await this.limiter.acquire(entry.id, limits, { tokens: totalTokens, maxWaitMs: 5_000, signal: call.signal });
    if (!acquired.ok) {
      throw new ProvidersUnavailableError(
        EMBEDDINGS_OPERATION,
        `${entry.id}: ${acquired.reason} limit`,
        acquired.retryAfterMs,
        new Date(this.clock.now().getTime() + acquired.retryAfterMs),
        [],
      );
    }
    const estimate = this.router.estimate(entry, totalTokens, 0);
    let reservation;
    try {
      reservation = await this.budgets.reserve({ tenantId: principal.tenantId }, estimate);
    } catch (err) {
      await acquired.lease.release();
      throw err;
    }
    const attemptId = `emb:${randomUUID()}:0`;
    const started = this.clock.now();
    const t0 = performance.now();
    const base = {
      attemptId,
      tenantId: principal.tenantId,
      apiKeyId: principal.apiKeyId,
      userId: principal.userId,
      operation: EMBEDDINGS_OPERATION,
      providerId: entry.providerId,
      modelId: entry.id,
      routingReason: `requested ${entry.id}`,
      at: started,
    };
    let result: EmbedResult;
    try {
      result = await provider.embed({ model: entry.name, input: call.input, dimensions: call.dimensions }, { signal: call.signal, timeoutMs: 60_000 });
    } catch (err) {
      const error = err instanceof ProviderError ? err : null;
      const kind = error?.kind ?? 'error';
      // Failed attempts are booked at $0: providers do not bill requests they did not answer.
      await Promise.all([
        this.ledger.record({
          ...base,
          usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 },
          costPico: 0n,
          latencyMs: performance.now() - t0,
          outcome: kind,
          errorMessage: (err as Error).message?.slice(0, 2000) ?? String(err),
        }),
        this.budgets.release(reservation),
        acquired.lease.release(),
        error && BREAKER_KINDS.has(kind) ? this.breaker.recordFailure(entry.id) : Promise.resolve(),
      ]);
      if (error instanceof ProviderRateLimitedError) {
        const ms = error.retryAfterMs ?? 1000;
        throw new ProvidersUnavailableError(
          EMBEDDINGS_OPERATION,
          `${entry.id}: rate-limited by the provider`,
          ms,
          new Date(this.clock.now().getTime() + ms),
          [],
        );
      }
      if (error instanceof ProviderBadRequestError) throw new InvalidParamError('input', `${entry.id} refused the request: ${error.message}`);
      if (error) throw new LlmCallFailedError(entry.id, error);
      throw err;
    }
    const usage = { inputTokens: result.inputTokens, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 };
    const costPico = this.catalog.costOf(entry.id, usage, started, result.latencyMs).totalPico;
    const settled = (async () => {
      await Promise.all([
        acquired.lease.settle({ actualTokens: result.inputTokens }),
        this.ledger.record({ ...base, usage, costPico, latencyMs: result.latencyMs, outcome: 'success', emulated: result.emulated }),
      ]);
      await Promise.all([
        this.budgets.settle({ tenantId: principal.tenantId }, reservation, costPico),
        candidate.circuit.state !== 'closed' || candidate.circuit.failures > 0 ? this.breaker.recordSuccess(entry.id) : Promise.resolve(),
        this.limiter.tighten(entry.id, result.rateLimit, limits),
      ]);
    })();
    settled.catch((err: Error) => this.logger.error({ attemptId, err }, `booking failed: ${err.message}`));
    return { result, model: entry, costPico, settled };
  }
}
