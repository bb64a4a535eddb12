import { Injectable, Logger } from '@nestjs/common';
import type { Complexity, ModelTier } from '@margin/contracts';
import { BudgetExceededError, BudgetService, LedgerService, type Reservation } from '@margin/cost-tracking';
import { Clock, type PicoUsd } from '@margin/core';
import {
  InvalidOutputError,
  ProviderError,
  ProviderRateLimitedError,
  type ChatMessage,
  type ChatRequest,
  type ChatResult,
  type ChatStreamEvent,
  type JsonSchema,
} from '@margin/providers';
import { CatalogService } from '../catalog/catalog.service';
import { CircuitBreakerService } from '../limits/circuit-breaker';
import { RateLimiterService, type Lease } from '../limits/rate-limiter';
import { RoutingPolicyService } from '../policy/routing-policy.service';
import { DEFAULT_MAX_TOKENS, estimateInputTokens } from './estimate';
import { blockerFromCircuit, blockerFromError, blockerFromSkip, outageOf, type Blocker } from './availability';
import { LlmCallFailedError, NoCandidateError, PlanForbidsModelsError, ProvidersUnavailableError, } from './execution.errors';
import { describeOutcomes, nothingSent, outcomeLabel, type AttemptOutcome } from './attempt-outcome';
import { RouterService, type RouteCandidate } from './router.service';

export interface ExecuteInput {
  tenantId: string;
  userId?: string | null;
  apiKeyId?: string | null;
  jobId?: string | null;
  itemId?: string | null;
  /** The job's own budget, when it has one. */
  jobBudgetPico?: PicoUsd | null;
  operation: string;
  complexity: Complexity;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  outputSchema?: { name: string; schema: JsonSchema };
  /** Explicit models instead of the policy (tried in order). */
  models?: string[];
  /** Stable across retries of the same work: ledger rows are `<prefix>:<n>`, booked once each. */
  attemptPrefix: string;
  /** How long to wait for rate-limit headroom on a candidate before falling back. */
  maxWaitMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  abKey?: string;
  /**
   * How `execute` talks to the provider: `plain` (one response) or `stream` (read as a stream and buffered,
   * so that long generations keep the connection alive and a cut stream falls back). Default `plain`.
   */
  transport?: 'plain' | 'stream';
  /**
   * Book the call (ledger, budget, limiter, breaker) after returning, so the answer is not held up by it
   * (the /v1 gateway). `outcome.settled` resolves once booked. Default: book before returning.
   */
  settleInBackground?: boolean;
  /** Tiers the tenant's plan allows (free: local only). */
  allowedTiers?: readonly ModelTier[];
  /**
   * The caller's last word before a request is sent, awaited once the candidate's limiter lease and budget
   * reservation are held (so it can run meanwhile, e.g. "is the job still wanted?"). Throwing gives both back
   * and sends nothing: no attempt, no ledger row, the error is rethrown as is.
   */
  beforeDispatch?: () => Promise<void> | void;
}

export interface ExecuteOutcome {
  result: ChatResult;
  modelId: string;
  providerId: string;
  costPico: PicoUsd;
  fallbackFrom: string | null;
  attempts: AttemptOutcome[];
  routingReason: string;
  /** Resolves when the call is booked (already resolved unless `settleInBackground`). */
  settled: Promise<void>;
}

/** Errors another candidate may fix; the rest (auth, bad request, caller abort) stop the call. */
const FALLBACK_KINDS = new Set(['rate_limited', 'server_error', 'timeout', 'context_too_long', 'invalid_output', 'stream_interrupted', 'unavailable']);
/** Errors that say something about the model's health (rate limits and the caller's own mistakes do not). */
const BREAKER_KINDS = new Set(['server_error', 'timeout', 'stream_interrupted', 'unavailable', 'auth', 'invalid_output']);

interface Prepared {
  candidate: RouteCandidate;
  lease: Lease;
  reservation: Reservation;
  request: ChatRequest;
  inputTokens: number;
}

/**
 * Runs one LLM operation the way every call in Margin runs: route → circuit → global rate limit → budget
 * reservation → provider → settle (ledger row per attempt, exact cost at the price in force, budget, limiter,
 * breaker) → fall back to the next candidate when another model can help.
 */
@Injectable()
export class LlmExecutor {
  private readonly logger = new Logger(LlmExecutor.name);

  constructor(
    private readonly router: RouterService,
    private readonly catalog: CatalogService,
    private readonly policy: RoutingPolicyService,
    private readonly limiter: RateLimiterService,
    private readonly breaker: CircuitBreakerService,
    private readonly budgets: BudgetService,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
  ) {}

  async execute(input: ExecuteInput): Promise<ExecuteOutcome> {
    let outcome: ExecuteOutcome | undefined;
    for await (const event of this.run(input, input.transport === 'stream' ? 'buffered' : 'plain')) if (event.type === 'done') outcome = event.outcome;
    if (!outcome) throw new Error('execution ended without a result');
    return outcome;
  }

  /** Deltas as they come; fallback happens only before the first delta reaches the caller. */
  async *stream(input: ExecuteInput): AsyncGenerator<{ type: 'delta'; text: string } | { type: 'done'; outcome: ExecuteOutcome }> {
    yield* this.run(input, 'stream');
  }

  private async *run(input: ExecuteInput, mode: 'plain' | 'buffered' | 'stream'): AsyncGenerator<{ type: 'delta'; text: string } | { type: 'done'; outcome: ExecuteOutcome }> {
    const maxTokens = input.maxTokens ?? DEFAULT_MAX_TOKENS;
    const inputTokens = estimateInputTokens(input.messages, input.outputSchema?.schema);
    const plan = await this.router.plan({
      tenantId: input.tenantId,
      operation: input.operation,
      complexity: input.complexity,
      inputTokens,
      maxTokens,
      // Budgets are enforced by reservation below (a refused candidate is skipped, the next tried).
      budgetRemainingPico: null,
      models: input.models,
      abKey: input.abKey ?? input.itemId ?? undefined,
      allowedTiers: input.allowedTiers,
    });
    const attempts: AttemptOutcome[] = plan.skipped.map((s) => ({ kind: 'skipped', model: s.model, reason: s.reason, detail: s.detail }));
    // Why each candidate could not take the call, typed: decides between waiting for an outage and failing.
    const blockers: Blocker[] = plan.skipped.map((s) => blockerFromSkip(s.model, s.reason, s.detail, s.retryAfterMs));
    const premiumId = this.policy.premiumCounterfactual(input.tenantId, input.operation);
    let attemptNo = 0;
    let budgetRefusal: BudgetExceededError | undefined;
    let firstTried: string | null = null;
    let shortestRetryMs: number | undefined;

    for (let i = 0; i < plan.candidates.length; i++) {
      const candidate = plan.candidates[i] as RouteCandidate;
      const next = plan.candidates[i + 1];
      let messages = input.messages;
      let repaired = false;
      let waitedForRetry = false;
      // A candidate may be tried again: once to repair invalid JSON, once after a short retry-after.
      for (;;) {
        // A circuit seen closed while planning needs no second look; a half-open one hands out one probe permit.
        if (candidate.circuit.state !== 'closed' || candidate.circuit.failures > 0) {
          const gate = await this.breaker.canPass(candidate.model.id);
          if (!gate.allowed) {
            attempts.push({ kind: 'skipped', model: candidate.model.id, reason: 'circuit-open' });
            blockers.push(blockerFromCircuit(candidate.model.id, gate));
            break;
          }
        }
        const prepared = await this.prepare(input, candidate, messages, maxTokens, inputTokens);
        if ('skip' in prepared) {
          if (prepared.budget) budgetRefusal = prepared.budget;
          if (prepared.retryAfterMs !== undefined) shortestRetryMs = Math.min(shortestRetryMs ?? Infinity, prepared.retryAfterMs);
          attempts.push({ kind: 'skipped', model: candidate.model.id, reason: prepared.skip, detail: prepared.detail });
          blockers.push(blockerFromSkip(candidate.model.id, prepared.skip, prepared.detail, prepared.retryAfterMs));
          break;
        }
        if (input.beforeDispatch) {
          try {
            await input.beforeDispatch();
          } catch (err) {
            await Promise.all([prepared.lease.release(), this.budgets.release(prepared.reservation)]);
            throw err;
          }
        }
        const attemptId = `${input.attemptPrefix}:${attemptNo++}`;
        firstTried ??= candidate.model.id;
        const fallbackFrom = firstTried !== candidate.model.id ? firstTried : null;
        const started = this.clock.now();
        const t0 = performance.now();
        let emitted = false;
        try {
          let result: ChatResult | undefined;
          if (mode !== 'plain') {
            for await (const event of candidate.provider.chatStream(prepared.request, { timeoutMs: input.timeoutMs, signal: input.signal }) as AsyncIterable<ChatStreamEvent>) {
              if (event.type === 'done') result = event.result;
              else if (mode === 'stream') {
                emitted = true;
                yield event;
              }
            }
          } else {
            result = await candidate.provider.chat(prepared.request, { timeoutMs: input.timeoutMs, signal: input.signal });
          }
          if (!result) throw new Error('provider returned no result');
          const routingReason = this.reason(input, candidate, attempts);
          const costPico = this.catalog.costOf(candidate.model.id, result.usage, started, result.latencyMs).totalPico;
          const booking = this.settleSuccess(input, prepared, result, costPico, { attemptId, started, premiumId, fallbackFrom, reason: routingReason });
          if (input.settleInBackground) booking.catch((err: Error) => this.logger.error({ attemptId, err }, `booking failed: ${err.message}`));
          else await booking;
          attempts.push({ kind: 'ok', model: candidate.model.id });
          yield {
            type: 'done',
            outcome: { result, modelId: candidate.model.id, providerId: candidate.model.providerId, costPico, fallbackFrom, attempts, routingReason, settled: booking },
          };
          return;
        } catch (err) {
          const error = err instanceof ProviderError ? err : null;
          await this.settleFailure(input, prepared, err, { attemptId, started, latencyMs: performance.now() - t0, fallbackFrom, reason: this.reason(input, candidate, attempts) });
          attempts.push({ kind: 'failed', model: candidate.model.id, error: error?.kind ?? 'error', detail: (err as Error).message });
          if (!error || emitted || !FALLBACK_KINDS.has(error.kind)) {
            if (error && !emitted) throw new LlmCallFailedError(candidate.model.id, error);
            throw err;
          }
          if (error instanceof InvalidOutputError && input.outputSchema && !repaired) {
            repaired = true;
            messages = [
              ...input.messages,
              { role: 'assistant', content: error.rawText.slice(0, 8000) },
              { role: 'user', content: `That answer was not valid for the required JSON schema (${error.problems.slice(0, 5).join('; ') || error.message}). Reply again with only the corrected JSON.` },
            ];
            continue;
          }
          // Waiting is cheaper than falling back when the next candidate costs more (or there is none).
          if (error instanceof ProviderRateLimitedError && !waitedForRetry && (error.retryAfterMs ?? Infinity) <= (input.maxWaitMs ?? 0) && (!next || next.estimatePico > candidate.estimatePico)) {
            waitedForRetry = true;
            await new Promise((r) => setTimeout(r, error.retryAfterMs));
            continue;
          }
          blockers.push(blockerFromError(candidate.model.id, error));
          break;
        }
      }
    }
    // Every candidate is down, busy or cooling off: the call can run later, so say when rather than fail it.
    const outage = outageOf(blockers);
    if (outage) {
      throw new ProvidersUnavailableError(input.operation, outage.reason, outage.retryAfterMs, new Date(this.clock.now().getTime() + outage.retryAfterMs), attempts);
    }
    if (budgetRefusal && nothingSent(attempts)) throw budgetRefusal;
    if (plan.candidates.length === 0 && plan.skipped.length > 0 && plan.skipped.every((s) => s.reason === 'plan')) {
      const cell = input.models?.length ? `the requested model ${input.models.join(', ')}` : `every candidate of the policy cell ${input.operation} × ${input.complexity} (${plan.skipped.map((s) => s.model).join(', ')})`;
      throw new PlanForbidsModelsError(`The tenant's plan allows only ${(input.allowedTiers ?? []).join(', ') || 'no'} models, which rules out ${cell}`, attempts);
    }
    const summary = describeOutcomes(attempts);
    throw new NoCandidateError(
      `No model could take this ${input.operation} call: ${summary || 'the policy has no candidates'}`,
      attempts,
      shortestRetryMs !== undefined && Number.isFinite(shortestRetryMs) ? Math.max(1, Math.ceil(shortestRetryMs / 1000)) : undefined,
    );
  }

  private reason(input: ExecuteInput, candidate: RouteCandidate, attempts: AttemptOutcome[]): string {
    const base = input.models?.length ? `requested ${candidate.model.id}` : `policy ${input.operation}/${input.complexity} → ${candidate.model.id} (${candidate.model.tier})`;
    const before = attempts.filter((a) => a.model !== candidate.model.id);
    return before.length ? `${base} after ${before.map((a) => `${a.model} ${outcomeLabel(a)}`).join(', ')}` : base;
  }

  private async prepare(
    input: ExecuteInput,
    candidate: RouteCandidate,
    messages: ChatMessage[],
    maxTokens: number,
    inputTokens: number,
  ): Promise<Prepared | { skip: 'rate-limit' | 'budget'; detail: string; budget?: BudgetExceededError; retryAfterMs?: number }> {
    const { model } = candidate;
    const acquired = await this.limiter.acquire(model.id, { rpm: model.rpm, tpm: model.tpm, maxConcurrency: model.maxConcurrency }, {
      tokens: inputTokens + maxTokens,
      maxWaitMs: input.maxWaitMs ?? 0,
      signal: input.signal,
    });
    if (!acquired.ok) return { skip: 'rate-limit', detail: `${acquired.reason} limit, free in ${acquired.retryAfterMs} ms`, retryAfterMs: acquired.retryAfterMs };
    let reservation: Reservation;
    try {
      reservation = await this.budgets.reserve({ tenantId: input.tenantId, job: input.jobId ? { id: input.jobId, limitPico: input.jobBudgetPico ?? null } : undefined }, candidate.estimatePico);
    } catch (err) {
      await acquired.lease.release();
      if (err instanceof BudgetExceededError) return { skip: 'budget', detail: err.message, budget: err };
      throw err;
    }
    return {
      candidate,
      lease: acquired.lease,
      reservation,
      inputTokens,
      request: { model: model.name, messages, temperature: input.temperature, maxTokens, outputSchema: input.outputSchema },
    };
  }

  private async settleSuccess(
    input: ExecuteInput,
    p: Prepared,
    result: ChatResult,
    cost: PicoUsd,
    meta: { attemptId: string; started: Date; premiumId: string | null; fallbackFrom: string | null; reason: string },
  ): Promise<void> {
    const { model } = p.candidate;
    let premium: { modelId: string; costPico: PicoUsd } | null = null;
    if (meta.premiumId && this.catalog.priceAt(meta.premiumId, meta.started)) {
      premium = { modelId: meta.premiumId, costPico: this.catalog.costOf(meta.premiumId, result.usage, meta.started).totalPico };
    }
    // The concurrency slot goes back first (dispatched before this returns to a background caller), so the
    // next call can start while the ledger row is written.
    const freed = p.lease.settle({ actualTokens: result.usage.inputTokens + result.usage.outputTokens });
    const booked = this.ledger.record({
      attemptId: meta.attemptId,
      tenantId: input.tenantId,
      apiKeyId: input.apiKeyId,
      userId: input.userId,
      jobId: input.jobId,
      itemId: input.itemId,
      operation: input.operation,
      providerId: model.providerId,
      modelId: model.id,
      usage: result.usage,
      costPico: cost,
      premium,
      latencyMs: result.latencyMs,
      outcome: 'success',
      routingReason: meta.reason,
      fallbackFrom: meta.fallbackFrom,
      emulated: result.emulated,
      at: meta.started,
    });
    await Promise.all([booked, freed]);
    await Promise.all([
      this.budgets.settle({ tenantId: input.tenantId }, p.reservation, cost),
      p.candidate.circuit.state !== 'closed' || p.candidate.circuit.failures > 0 ? this.breaker.recordSuccess(model.id) : Promise.resolve(),
      this.limiter.tighten(model.id, result.rateLimit, { rpm: model.rpm, tpm: model.tpm, maxConcurrency: model.maxConcurrency }),
    ]);
  }

  private async settleFailure(
    input: ExecuteInput,
    p: Prepared,
    err: unknown,
    meta: { attemptId: string; started: Date; latencyMs: number; fallbackFrom: string | null; reason: string },
  ): Promise<void> {
    const { model } = p.candidate;
    const error = err instanceof ProviderError ? err : null;
    const kind = error?.kind ?? 'error';
    // Failed attempts are booked at $0: providers do not bill requests they did not answer.
    await this.ledger.record({
      attemptId: meta.attemptId,
      tenantId: input.tenantId,
      apiKeyId: input.apiKeyId,
      userId: input.userId,
      jobId: input.jobId,
      itemId: input.itemId,
      operation: input.operation,
      providerId: model.providerId,
      modelId: model.id,
      usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 },
      costPico: 0n,
      latencyMs: meta.latencyMs,
      outcome: kind,
      errorMessage: (err as Error).message?.slice(0, 2000) ?? String(err),
      routingReason: meta.reason,
      fallbackFrom: meta.fallbackFrom,
      at: meta.started,
    });
    await Promise.all([
      this.budgets.release(p.reservation),
      p.lease.release(),
      error && BREAKER_KINDS.has(kind) ? this.breaker.recordFailure(model.id) : Promise.resolve(),
      error instanceof ProviderRateLimitedError
        ? this.limiter.tighten(model.id, { retryAfterMs: error.retryAfterMs ?? 1000 }, { rpm: model.rpm, tpm: model.tpm, maxConcurrency: model.maxConcurrency })
        : Promise.resolve(),
    ]);
    this.logger.warn({ tenantId: input.tenantId, model: model.id, outcome: kind, attemptId: meta.attemptId }, `LLM attempt failed: ${(err as Error).message}`);
  }
}
