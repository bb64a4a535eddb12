import { Injectable, Logger, Optional } from '@nestjs/common';
import { COMPLEXITIES, type ChatMessage, type Complexity, type JsonSchema, type ModelTier } from '@margin/contracts';
import { BudgetExceededError, BudgetService, LedgerService, type Reservation } from '@margin/cost-tracking';
import { Clock, Listeners, sleep, type PicoUsd } from '@margin/core';
import {
  InvalidOutputError,
  ProviderError,
  ProviderRateLimitedError,
  type ChatRequest,
  type ChatResult,
  type ChatStreamEvent,
  type LlmMessage,
  type ProviderFeature,
} from '@margin/providers';
import { CatalogService } from '../catalog/catalog.service';
import { CircuitBreakerService } from '../limits/circuit-breaker';
import { RateLimiterService, type Lease } from '../limits/rate-limiter';
import { RoutingPolicyService, UnknownOperationError } from '../policy/routing-policy.service';
import { DEFAULT_MAX_TOKENS, estimateInputTokens } from './estimate';
import { blockerFromCircuit, blockerFromError, blockerFromSkip, outageOf, type Blocker } from './availability';
import {
  ContextLengthExceededError,
  LlmCallFailedError,
  NoCandidateError,
  PlanForbidsModelsError,
  ProvidersUnavailableError,
  UnsupportedParameterError,
} from './execution.errors';
import { describeOutcomes, nothingSent, outcomeLabel, type AttemptOutcome } from './attempt-outcome';
import { FEATURE_PARAMS, RouterService, type RouteCandidate, type RoutePlan, type SkipReason } from './router.service';
import { CallObservers, type CallTrace } from './call-observers';
import { BatchTierService } from '../batch/batch-tier.service';
import type { BatchRequestRow } from '../batch/batch.repository';

/** Skips that no wait or retry changes: when these are all there was and one is the context window, the prompt is too long. */
const PERMANENT_SKIPS: ReadonlySet<SkipReason> = new Set<SkipReason>(['context-window', 'disabled', 'unknown-model', 'plan', 'unsupported']);

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
  /**
   * When every candidate at `complexity` is skipped (the plan's tiers, the budget, rate limits, open circuits:
   * nothing sent), try the policy cell one complexity down, and so on to `simple`. Default: `complexity` only.
   */
  stepDown?: boolean;
  messages: LlmMessage[];
  temperature?: number;
  maxTokens?: number;
  outputSchema?: { name: string; schema: JsonSchema };
  /**
   * Tools and the optional request fields, passed to the provider as they are. Only models with the `tools`
   * capability take a call with tools (or tool turns in its messages), and only providers that can pass
   * each field on take a call using it (`n` excepted: a provider without it answers one choice).
   */
  params?: CallParams;
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
  /** What the call is part of, for the call observers (training examples). */
  trace?: CallTrace;
  /**
   * The deferred tier (docs/batch-tier.md): when the deadline allows and a candidate has a batch API and a batch
   * price, the call is queued for the provider's next batch and `execute` throws DeferredToBatchError; run again
   * with the same `key` (stable per item step), it answers from the batch once it has ended, or live after a
   * failed batch request. `deadline` null: deferrable with no deadline.
   */
  batch?: { key: string; deadline: Date | null };
}

export type CallParams = Pick<
  ChatRequest,
  'tools' | 'toolChoice' | 'parallelToolCalls' | 'n' | 'stop' | 'logprobs' | 'topLogprobs' | 'seed' | 'user' | 'metadata' | 'serviceTier'
>;

/** The provider features a call's params use (`n` is not one: without it the caller makes more calls). */
export function featuresUsed(params: CallParams | undefined): ProviderFeature[] {
  if (!params) return [];
  const used: ProviderFeature[] = [];
  if (params.stop?.length) used.push('stop');
  if (params.logprobs) used.push('logprobs');
  if (params.seed !== undefined) used.push('seed');
  if (params.user !== undefined) used.push('user');
  if (params.metadata !== undefined) used.push('metadata');
  if (params.parallelToolCalls === false && params.tools?.length) used.push('parallelToolCalls');
  if (params.serviceTier !== undefined) used.push('serviceTier');
  return used;
}

/** A call with tools, or with tool calls / tool answers in its conversation, needs a model that knows tools. */
export function needsTools(messages: readonly LlmMessage[], params: CallParams | undefined): boolean {
  return (params?.tools?.length ?? 0) > 0 || messages.some((m) => m.role === 'tool' || ('toolCalls' in m && m.toolCalls.length > 0));
}

export interface ExecuteOutcome {
  result: ChatResult;
  modelId: string;
  providerId: string;
  costPico: PicoUsd;
  fallbackFrom: string | null;
  attempts: AttemptOutcome[];
  routingReason: string;
  /** The ledger attempt id of the answer (the successful attempt). */
  attemptId: string;
  /**
   * What the operation's savings counterfactual (RoutingPolicyService.premiumCounterfactual) would have cost for
   * this answer's actual tokens, at the price in force; null when there is none. Booked with the call.
   */
  premium: { modelId: string; costPico: PicoUsd } | null;
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

type Mode = 'plain' | 'buffered' | 'stream';
export type ExecuteEvent = Exclude<ChatStreamEvent, { type: 'done' }> | { type: 'done'; outcome: ExecuteOutcome };

/** One call across its tiers and candidates. */
interface Call {
  input: ExecuteInput;
  mode: Mode;
  maxTokens: number;
  inputTokens: number;
  premiumId: string | null;
  /** Attempts sent so far: the next one's id is `<attemptPrefix>:<attemptNo>`. */
  attemptNo: number;
  firstTried: string | null;
  /** The call's batch request failed or expired for good: it runs live now. */
  liveOnly: boolean;
}

/** One tier of the fallback: the policy cell's candidates at one complexity, and what became of them. */
interface TierRun {
  complexity: Complexity;
  plan: RoutePlan;
  attempts: AttemptOutcome[];
  blockers: Blocker[];
  /** The budget refused a candidate: what the caller hears when nothing was sent. */
  budgetRefusal?: BudgetExceededError;
  /** The soonest a rate-limited candidate frees up. */
  shortestRetryMs?: number;
}

type AbArm = 'incumbent' | 'challenger';

/** Which arm of the cell's A/B split a candidate is (null: the cell has no split, or models were asked for by name). */
function armOf(tier: TierRun, candidate: RouteCandidate): AbArm | null {
  const ab = tier.plan.abTest;
  if (!ab) return null;
  return candidate.model.id === ab.challenger ? 'challenger' : 'incumbent';
}

/** The complexities to try, in order: the one asked for, then with `stepDown` each one below it. */
function complexitiesToTry(input: Pick<ExecuteInput, 'complexity' | 'stepDown'>): Complexity[] {
  if (!input.stepDown) return [input.complexity];
  return COMPLEXITIES.slice(0, COMPLEXITIES.indexOf(input.complexity) + 1).reverse();
}

/** Waiting is cheaper than falling back when the next candidate costs more (or there is none). */
function worthWaiting(input: ExecuteInput, error: ProviderRateLimitedError, candidate: RouteCandidate, next: RouteCandidate | undefined): boolean {
  return (error.retryAfterMs ?? Infinity) <= (input.maxWaitMs ?? 0) && (!next || next.estimatePico > candidate.estimatePico);
}

/** The conversation again, with the invalid answer and what was wrong with it, asking for corrected JSON. */
function repairMessages(messages: LlmMessage[], error: InvalidOutputError): LlmMessage[] {
  return [
    ...messages,
    { role: 'assistant', content: error.rawText.slice(0, 8000) },
    {
      role: 'user',
      content: `That answer was not valid for the required JSON schema (${error.problems.slice(0, 5).join('; ') || error.message}). Reply again with only the corrected JSON.`,
    },
  ];
}

/**
 * Runs one LLM operation the way every call in Margin runs: route → circuit → global rate limit → budget
 * reservation → provider → settle (ledger row per attempt, exact cost at the price in force, budget, limiter,
 * breaker) → fall back to the next candidate when another model can help, and (with `stepDown`) to the next
 * lower tier's candidates when none of a tier's could even be tried.
 */
export interface LimiterOutcome {
  providerId: string;
  modelId: string;
  waitedMs: number;
  acquired: boolean;
  /** Which limit refused (rpm, tpm, concurrency, blocked) when not acquired. */
  reason?: string;
}

@Injectable()
export class LlmExecutor {
  private readonly logger = new Logger(LlmExecutor.name);
  /** Each pass through the global rate limiter (how long it waited, whether it got through), for the metrics. */
  readonly limiterOutcomes = new Listeners<LimiterOutcome>();

  constructor(
    private readonly router: RouterService,
    private readonly catalog: CatalogService,
    private readonly policy: RoutingPolicyService,
    private readonly limiter: RateLimiterService,
    private readonly breaker: CircuitBreakerService,
    private readonly budgets: BudgetService,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
    @Optional() private readonly observers?: CallObservers,
    @Optional() private readonly batchTier?: BatchTierService,
  ) {}

  async execute(input: ExecuteInput): Promise<ExecuteOutcome> {
    let outcome: ExecuteOutcome | undefined;
    for await (const event of this.run(input, input.transport === 'stream' ? 'buffered' : 'plain')) if (event.type === 'done') outcome = event.outcome;
    if (!outcome) throw new Error('execution ended without a result');
    return outcome;
  }

  /** Deltas as they come; fallback happens only before the first delta reaches the caller. */
  async *stream(input: ExecuteInput): AsyncGenerator<ExecuteEvent> {
    yield* this.run(input, 'stream');
  }

  /** The one fallback loop: walks the candidates of every tier in order until one answers. */
  private async *run(input: ExecuteInput, mode: Mode): AsyncGenerator<ExecuteEvent> {
    const call: Call = {
      input,
      mode,
      maxTokens: input.maxTokens ?? DEFAULT_MAX_TOKENS,
      inputTokens:
        estimateInputTokens(input.messages, input.outputSchema?.schema) +
        (input.params?.tools ?? []).reduce((n, t) => n + Math.ceil(JSON.stringify(t).length / 4), 0),
      premiumId: this.policy.premiumCounterfactual(input.tenantId, input.operation),
      attemptNo: 0,
      firstTried: null,
      liveOnly: false,
    };
    if (input.batch && this.batchTier && mode !== 'stream') {
      const prior = await this.batchTier.lookup(input, call.maxTokens);
      if (prior?.state === 'succeeded') {
        yield { type: 'done', outcome: this.batchOutcome(input, prior) };
        return;
      }
      if (prior && (prior.state === 'queued' || prior.state === 'submitted')) throw this.batchTier.deferred(prior);
      call.liveOnly = prior?.state === 'failed';
    }
    const tiers: TierRun[] = [];
    for await (const { tier, candidate, next } of this.candidates(call, tiers)) {
      const outcome = yield* this.tryCandidate(call, tier, candidate, next);
      if (outcome) {
        yield { type: 'done', outcome };
        return;
      }
    }
    throw this.failure(input, tiers);
  }

  /**
   * The candidates in the order they are tried: the policy cell's at the complexity asked for, then (with
   * `stepDown`) each lower complexity's, planned only once every candidate of the tier above was skipped
   * (nothing sent, so nothing booked: the same attempt ids serve the lower tier). A lower complexity the policy
   * has no cell for ends the walk.
   */
  private async *candidates(call: Call, tiers: TierRun[]): AsyncGenerator<{ tier: TierRun; candidate: RouteCandidate; next: RouteCandidate | undefined }> {
    const { input } = call;
    for (const complexity of complexitiesToTry(input)) {
      const above = tiers.at(-1);
      if (above) {
        if (!nothingSent(above.attempts)) return;
        this.logger.debug(
          { tenantId: input.tenantId, operation: input.operation, itemId: input.itemId, complexity: above.complexity },
          `no model can take ${input.operation}/${above.complexity}: trying one tier down`,
        );
      }
      let plan: RoutePlan;
      try {
        plan = await this.plan(call, complexity);
      } catch (err) {
        if (above && err instanceof UnknownOperationError) return;
        throw err;
      }
      const tier: TierRun = {
        complexity,
        plan,
        attempts: plan.skipped.map((s) => ({ kind: 'skipped', model: s.model, reason: s.reason, detail: s.detail })),
        // Why each candidate could not take the call, typed: decides between waiting for an outage and failing.
        blockers: plan.skipped.map((s) => blockerFromSkip(s.model, s.reason, s.detail, s.retryAfterMs)),
      };
      tiers.push(tier);
      for (let i = 0; i < plan.candidates.length; i++) yield { tier, candidate: plan.candidates[i] as RouteCandidate, next: plan.candidates[i + 1] };
    }
  }

  private plan(call: Call, complexity: Complexity): Promise<RoutePlan> {
    const { input } = call;
    return this.router.plan({
      tenantId: input.tenantId,
      operation: input.operation,
      complexity,
      inputTokens: call.inputTokens,
      maxTokens: call.maxTokens,
      // Budgets are enforced by reservation (a refused candidate is skipped, the next tried).
      budgetRemainingPico: null,
      models: input.models,
      abKey: input.abKey ?? input.itemId ?? undefined,
      allowedTiers: input.allowedTiers,
      ...(needsTools(input.messages, input.params) ? { capabilities: ['tools'] } : {}),
      ...(featuresUsed(input.params).length > 0 ? { features: featuresUsed(input.params) } : {}),
    });
  }

  /**
   * One candidate, tried again at most once to repair invalid JSON and once after a short retry-after. The
   * outcome when it answered; undefined when it was skipped or failed in a way the next candidate may fix.
   */
  private async *tryCandidate(
    call: Call,
    tier: TierRun,
    candidate: RouteCandidate,
    next: RouteCandidate | undefined,
  ): AsyncGenerator<ExecuteEvent, ExecuteOutcome | undefined> {
    let messages = call.input.messages;
    let repaired = false;
    let waitedForRetry = false;
    if (call.input.batch && !call.liveOnly && call.mode !== 'stream' && this.batchTier?.eligible(call.input, candidate.model, candidate.provider)) {
      const queued = await this.enqueueForBatch(call, tier, candidate);
      if (queued) throw this.batchTier.deferred(queued);
    }
    for (;;) {
      const prepared = await this.admit(call, tier, candidate, messages);
      if (!prepared) return undefined;
      const sent = yield* this.attempt(call, tier, prepared);
      if (sent.kind === 'ok') return sent.outcome;
      const { error } = sent;
      if (error instanceof InvalidOutputError && call.input.outputSchema && !repaired) {
        repaired = true;
        messages = repairMessages(call.input.messages, error);
        continue;
      }
      if (error instanceof ProviderRateLimitedError && !waitedForRetry && worthWaiting(call.input, error, candidate, next)) {
        waitedForRetry = true;
        await sleep(error.retryAfterMs ?? 0, call.input.signal);
        continue;
      }
      tier.blockers.push(blockerFromError(candidate.model.id, error));
      return undefined;
    }
  }

  /**
   * The circuit, the rate limit and the budget, in that order: the lease and the reservation for one attempt,
   * or null when one of them refused (recorded as the candidate's skip).
   */
  private async admit(call: Call, tier: TierRun, candidate: RouteCandidate, messages: LlmMessage[]): Promise<Prepared | null> {
    const modelId = candidate.model.id;
    // A circuit seen closed while planning needs no second look; a half-open one hands out one probe permit.
    if (candidate.circuit.state !== 'closed' || candidate.circuit.failures > 0) {
      const gate = await this.breaker.canPass(modelId);
      if (!gate.allowed) {
        tier.attempts.push({ kind: 'skipped', model: modelId, reason: 'circuit-open' });
        tier.blockers.push(blockerFromCircuit(modelId, gate));
        return null;
      }
    }
    const prepared = await this.prepare(call.input, candidate, messages, call.maxTokens, call.inputTokens);
    if ('skip' in prepared) {
      if (prepared.budget) tier.budgetRefusal = prepared.budget;
      if (prepared.retryAfterMs !== undefined) tier.shortestRetryMs = Math.min(tier.shortestRetryMs ?? Infinity, prepared.retryAfterMs);
      tier.attempts.push({ kind: 'skipped', model: modelId, reason: prepared.skip, detail: prepared.detail });
      tier.blockers.push(blockerFromSkip(modelId, prepared.skip, prepared.detail, prepared.retryAfterMs));
      return null;
    }
    return prepared;
  }

  /**
   * Sends one attempt and books it. Resolves with the outcome, or with the provider error when another try or
   * candidate may help; throws when none can (auth, bad request, abort, or a cut stream the caller already saw).
   */
  private async *attempt(
    call: Call,
    tier: TierRun,
    prepared: Prepared,
  ): AsyncGenerator<ExecuteEvent, { kind: 'ok'; outcome: ExecuteOutcome } | { kind: 'failed'; error: ProviderError }> {
    const { input } = call;
    const { candidate } = prepared;
    await this.beforeDispatch(input, prepared);
    const attemptId = `${input.attemptPrefix}:${call.attemptNo++}`;
    call.firstTried ??= candidate.model.id;
    const fallbackFrom = call.firstTried !== candidate.model.id ? call.firstTried : null;
    const started = this.clock.now();
    const t0 = performance.now();
    const progress = { emitted: false };
    try {
      const result = yield* this.send(call, prepared, progress);
      const routingReason = this.reason(input, tier, candidate);
      const costPico = this.catalog.costOf(candidate.model.id, result.usage, started, result.latencyMs).totalPico;
      const arm = armOf(tier, candidate);
      const premium = this.counterfactual(call.premiumId, result, started);
      const booking = this.settleSuccess(input, prepared, result, costPico, {
        attemptId,
        started,
        premium,
        fallbackFrom,
        reason: routingReason,
        arm,
        complexity: tier.complexity,
      });
      if (input.settleInBackground) booking.catch((err: Error) => this.logger.error({ attemptId, err }, `booking failed: ${err.message}`));
      else await booking;
      tier.attempts.push({ kind: 'ok', model: candidate.model.id });
      this.observe(input, candidate, result, costPico, started, arm, tier.complexity);
      return {
        kind: 'ok',
        outcome: {
          result,
          modelId: candidate.model.id,
          providerId: candidate.model.providerId,
          costPico,
          fallbackFrom,
          attempts: tier.attempts,
          routingReason,
          attemptId,
          premium,
          settled: booking,
        },
      };
    } catch (err) {
      const error = err instanceof ProviderError ? err : null;
      await this.settleFailure(input, prepared, err, {
        attemptId,
        started,
        latencyMs: performance.now() - t0,
        fallbackFrom,
        reason: this.reason(input, tier, candidate),
        arm: armOf(tier, candidate),
        complexity: tier.complexity,
      });
      tier.attempts.push({ kind: 'failed', model: candidate.model.id, error: error?.kind ?? 'error', detail: (err as Error).message });
      if (!error || progress.emitted || !FALLBACK_KINDS.has(error.kind)) {
        if (error && !progress.emitted) throw new LlmCallFailedError(candidate.model.id, error);
        throw err;
      }
      return { kind: 'failed', error };
    }
  }

  /** Queues the call for the candidate's next provider batch (null: it cannot go, it runs live). */
  private async enqueueForBatch(call: Call, tier: TierRun, candidate: RouteCandidate): Promise<BatchRequestRow | null> {
    const { input } = call;
    if (!this.batchTier) return null;
    // a cancelled job queues nothing
    await input.beforeDispatch?.();
    const request: ChatRequest = {
      model: candidate.model.name,
      messages: input.messages,
      temperature: input.temperature,
      maxTokens: call.maxTokens,
      outputSchema: input.outputSchema,
    };
    return this.batchTier.enqueue(input, candidate.model, request, call.inputTokens + call.maxTokens, candidate.estimatePico, tier.complexity);
  }

  /** The answer of the call's batch request (booked by the poller when it landed: nothing is booked here). */
  private batchOutcome(input: ExecuteInput, row: BatchRequestRow): ExecuteOutcome {
    const model = this.catalog.model(row.modelId);
    const result = row.result as ChatResult;
    const costPico = this.batchTier?.costOf(row) ?? 0n;
    if (model) this.observe(input, { model }, result, costPico, row.createdAt, null, (row.complexity ?? input.complexity) as Complexity);
    return {
      result,
      modelId: row.modelId,
      providerId: row.providerId,
      costPico,
      fallbackFrom: null,
      attempts: [{ kind: 'ok', model: row.modelId }],
      routingReason: `batch tier: ${row.modelId} (request ${row.id})`,
      // the poller booked it under this key when the batch landed
      attemptId: `batch:${row.id}`,
      premium: this.counterfactual(this.policy.premiumCounterfactual(input.tenantId, input.operation), result, row.createdAt),
      settled: Promise.resolve(),
    };
  }

  /** Tells the call observers (training) about the answer: synchronous, queued on their side, never failing the call. */
  private observe(
    input: ExecuteInput,
    candidate: Pick<RouteCandidate, 'model'>,
    result: ChatResult,
    costPico: PicoUsd,
    at: Date,
    abArm: AbArm | null,
    complexity: Complexity,
  ): void {
    if (!this.observers?.active || input.trace?.record === false) return;
    // training examples are plain conversations: a call with tools or tool turns is not one
    if (needsTools(input.messages, input.params) || result.toolCalls) return;
    this.observers.notify({
      callRef: input.attemptPrefix,
      tenantId: input.tenantId,
      jobId: input.jobId ?? null,
      itemId: input.itemId ?? null,
      operation: input.operation,
      messages: input.messages as ChatMessage[],
      outputText: result.text,
      outputJson: result.json,
      structured: input.outputSchema !== undefined,
      modelId: candidate.model.id,
      providerId: candidate.model.providerId,
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      costPico,
      latencyMs: result.latencyMs,
      emulated: result.emulated,
      at,
      abArm,
      complexity,
      trace: input.trace,
    });
  }

  /** The caller's last word before sending: refusing gives the lease and the reservation back and sends nothing. */
  private async beforeDispatch(input: ExecuteInput, prepared: Prepared): Promise<void> {
    if (!input.beforeDispatch) return;
    try {
      await input.beforeDispatch();
    } catch (err) {
      await Promise.all([prepared.lease.release(), this.budgets.release(prepared.reservation)]);
      throw err;
    }
  }

  /** The provider's answer, read plainly or as a stream (deltas passed on in `stream` mode). */
  private async *send(call: Call, prepared: Prepared, progress: { emitted: boolean }): AsyncGenerator<ExecuteEvent, ChatResult> {
    const { provider } = prepared.candidate;
    const options = { timeoutMs: call.input.timeoutMs, signal: call.input.signal };
    let result: ChatResult | undefined;
    if (call.mode === 'plain') result = await provider.chat(prepared.request, options);
    else {
      for await (const event of provider.chatStream(prepared.request, options) as AsyncIterable<ChatStreamEvent>) {
        if (event.type === 'done') result = event.result;
        else if (call.mode === 'stream') {
          progress.emitted = true;
          yield event;
        }
      }
    }
    if (!result) throw new Error('provider returned no result');
    return result;
  }

  /**
   * Why no candidate of any tier answered, as the error its caller can act on: the last tier's when a model
   * was tried there (its attempts are booked); else, nothing having been sent anywhere, the earliest outage
   * when a tier is only waiting for a provider, or why the tier asked for failed.
   */
  private failure(input: ExecuteInput, tiers: readonly TierRun[]): Error {
    const errors = tiers.map((tier) => this.tierFailure(input, tier));
    const last = tiers[tiers.length - 1];
    if (last && !nothingSent(last.attempts)) return errors[errors.length - 1] as Error;
    let outage: ProvidersUnavailableError | undefined;
    for (const err of errors) if (err instanceof ProvidersUnavailableError && (!outage || err.retryAfterMs < outage.retryAfterMs)) outage = err;
    return outage ?? (errors[0] as Error);
  }

  /** Why no candidate of one tier answered. */
  private tierFailure(input: ExecuteInput, tier: TierRun): Error {
    const { attempts, plan } = tier;
    // Every candidate is down, busy or cooling off: the call can run later, so say when rather than fail it.
    const outage = outageOf(tier.blockers);
    if (outage) {
      return new ProvidersUnavailableError(
        input.operation,
        outage.reason,
        outage.retryAfterMs,
        new Date(this.clock.now().getTime() + outage.retryAfterMs),
        attempts,
      );
    }
    if (tier.budgetRefusal && nothingSent(attempts)) return tier.budgetRefusal;
    if (plan.candidates.length === 0 && plan.skipped.length > 0 && plan.skipped.every((s) => s.reason === 'plan')) {
      const cell = input.models?.length
        ? `the requested model ${input.models.join(', ')}`
        : `every candidate of the policy cell ${input.operation} × ${tier.complexity} (${plan.skipped.map((s) => s.model).join(', ')})`;
      return new PlanForbidsModelsError(
        `The tenant's plan allows only ${(input.allowedTiers ?? []).join(', ') || 'no'} models, which rules out ${cell}`,
        attempts,
      );
    }
    const unsupported = plan.skipped.filter((s) => s.reason === 'unsupported');
    if (plan.candidates.length === 0 && unsupported.length > 0 && plan.skipped.every((s) => PERMANENT_SKIPS.has(s.reason))) {
      const missing = unsupported[0]?.missing ?? 'tools';
      const param = missing in FEATURE_PARAMS ? FEATURE_PARAMS[missing as ProviderFeature] : missing;
      return new UnsupportedParameterError(
        `No model that could take this ${input.operation} call supports ${param}: ${plan.skipped.map((s) => `${s.model} (${s.detail})`).join('; ')}`,
        param,
        attempts,
      );
    }
    const windows = plan.skipped.filter((s) => s.reason === 'context-window');
    if (plan.candidates.length === 0 && windows.length > 0 && plan.skipped.every((s) => PERMANENT_SKIPS.has(s.reason))) {
      return new ContextLengthExceededError(
        `The prompt and max_tokens fit no model's context window: ${windows.map((s) => `${s.model} ${s.detail ?? ''}`.trim()).join('; ')}. Shorten the messages or lower max_tokens`,
        attempts,
      );
    }
    const retryMs = tier.shortestRetryMs;
    return new NoCandidateError(
      `No model could take this ${input.operation} call: ${describeOutcomes(attempts) || 'the policy has no candidates'}`,
      attempts,
      retryMs !== undefined && Number.isFinite(retryMs) ? Math.max(1, Math.ceil(retryMs / 1000)) : undefined,
    );
  }

  private reason(input: ExecuteInput, tier: TierRun, candidate: RouteCandidate): string {
    const base = input.models?.length
      ? `requested ${candidate.model.id}`
      : `policy ${input.operation}/${tier.complexity} → ${candidate.model.id} (${candidate.model.tier})`;
    const before = tier.attempts.filter((a) => a.model !== candidate.model.id);
    return before.length ? `${base} after ${before.map((a) => `${a.model} ${outcomeLabel(a)}`).join(', ')}` : base;
  }

  private async prepare(
    input: ExecuteInput,
    candidate: RouteCandidate,
    messages: LlmMessage[],
    maxTokens: number,
    inputTokens: number,
  ): Promise<Prepared | { skip: 'rate-limit' | 'budget'; detail: string; budget?: BudgetExceededError; retryAfterMs?: number }> {
    const { model } = candidate;
    const waitStarted = performance.now();
    const acquired = await this.limiter.acquire(
      model.id,
      { rpm: model.rpm, tpm: model.tpm, maxConcurrency: model.maxConcurrency },
      {
        tokens: inputTokens + maxTokens,
        maxWaitMs: input.maxWaitMs ?? 0,
        signal: input.signal,
      },
    );
    this.limiterOutcomes.emit({
      providerId: model.providerId,
      modelId: model.id,
      waitedMs: performance.now() - waitStarted,
      acquired: acquired.ok,
      reason: acquired.ok ? undefined : acquired.reason,
    });
    if (!acquired.ok)
      return { skip: 'rate-limit', detail: `${acquired.reason} limit, free in ${acquired.retryAfterMs} ms`, retryAfterMs: acquired.retryAfterMs };
    let reservation: Reservation;
    try {
      reservation = await this.budgets.reserve(
        { tenantId: input.tenantId, job: input.jobId ? { id: input.jobId, limitPico: input.jobBudgetPico ?? null } : undefined },
        candidate.estimatePico,
      );
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
      request: {
        model: model.name,
        messages,
        temperature: input.temperature,
        maxTokens,
        outputSchema: input.outputSchema,
        ...input.params,
        // a provider without `n` answers one choice; the caller asks again for the others
        ...(input.params?.n !== undefined && !candidate.provider.supports?.has('n') ? { n: undefined } : {}),
      },
    };
  }

  /** The counterfactual model's cost for this answer's actual tokens at the price in force when it started (null: none, or unpriced). */
  private counterfactual(premiumId: string | null, result: ChatResult, started: Date): { modelId: string; costPico: PicoUsd } | null {
    if (!premiumId || !this.catalog.priceAt(premiumId, started)) return null;
    return { modelId: premiumId, costPico: this.catalog.costOf(premiumId, result.usage, started).totalPico };
  }

  private async settleSuccess(
    input: ExecuteInput,
    p: Prepared,
    result: ChatResult,
    cost: PicoUsd,
    meta: {
      attemptId: string;
      started: Date;
      premium: { modelId: string; costPico: PicoUsd } | null;
      fallbackFrom: string | null;
      reason: string;
      arm: AbArm | null;
      complexity: Complexity;
    },
  ): Promise<void> {
    const { model } = p.candidate;
    const { premium } = meta;
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
      abArm: meta.arm,
      complexity: meta.complexity,
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
    meta: { attemptId: string; started: Date; latencyMs: number; fallbackFrom: string | null; reason: string; arm: AbArm | null; complexity: Complexity },
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
      abArm: meta.arm,
      complexity: meta.complexity,
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
