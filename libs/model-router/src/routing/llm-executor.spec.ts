import type { Complexity } from '@margin/contracts';
import { BudgetExceededError, type BudgetService, type LedgerService, type Reservation } from '@margin/cost-tracking';
import type { Clock, PicoUsd } from '@margin/core';
import {
  ContextTooLongError,
  InvalidOutputError,
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderServerError,
  ProviderTimeoutError,
  ProviderUnavailableError,
  StreamInterruptedError,
  type ChatRequest,
  type ChatResult,
  type ChatStreamEvent,
  type LlmProvider,
} from '@margin/providers';
import { strictMock } from '@margin/testing';
import type { CatalogService } from '../catalog/catalog.service';
import type { ModelEntity } from '../catalog/model.entity';
import type { CircuitBreakerService } from '../limits/circuit-breaker';
import type { Lease, RateLimiterService } from '../limits/rate-limiter';
import { UnknownOperationError, type RoutingPolicyService } from '../policy/routing-policy.service';
import {
  ContextLengthExceededError,
  LlmCallFailedError,
  NoCandidateError,
  PlanForbidsModelsError,
  ProvidersUnavailableError,
  UnsupportedParameterError,
} from './execution.errors';
import { LlmExecutor, type ExecuteInput } from './llm-executor';
import type { RouteCandidate, RoutePlan, RouterService } from './router.service';

const NOW = new Date('2026-03-01T12:00:00Z');

const answer = (text = '{"ok":true}'): ChatResult => ({
  text,
  json: JSON.parse(text) as unknown,
  usage: { inputTokens: 100, cachedInputTokens: 0, outputTokens: 20, reasoningTokens: 0 },
  model: 'm',
  latencyMs: 7,
  finishReason: 'stop',
  rateLimit: {},
  emulated: true,
});

type Reply = ChatResult | Error;

/** A provider that answers its calls from `replies` in turn (an Error is thrown) and remembers each request. */
function provider(id: string, replies: Reply[]) {
  const requests: ChatRequest[] = [];
  const next = (request: ChatRequest): ChatResult => {
    requests.push(request);
    const reply = replies.shift();
    if (!reply) throw new Error(`${id}: no reply left`);
    if (reply instanceof Error) throw reply;
    return reply;
  };
  const mock = strictMock<LlmProvider>(
    {
      chat: async (request: ChatRequest) => next(request),
      chatStream: (request: ChatRequest) =>
        (async function* (): AsyncGenerator<ChatStreamEvent> {
          const result = next(request);
          yield { type: 'delta', text: result.text };
          yield { type: 'done', result };
        })(),
    },
    `provider ${id}`,
  );
  return Object.assign(mock, { requests });
}

function candidate(id: string, replies: Reply[], over: { estimatePico?: PicoUsd; tier?: ModelEntity['tier']; circuit?: RouteCandidate['circuit'] } = {}) {
  const [providerId = id, name = id] = id.split('/');
  const model = {
    id,
    providerId,
    name,
    tier: over.tier ?? 'cheap',
    contextWindow: 128_000,
    enabled: true,
    rpm: null,
    tpm: null,
    maxConcurrency: null,
  } as ModelEntity;
  const p = provider(id, replies);
  const c: RouteCandidate = { model, provider: p, estimatePico: over.estimatePico ?? 1_000n, circuit: over.circuit ?? { state: 'closed', failures: 0 } };
  return { candidate: c, provider: p };
}

const plan = (candidates: RouteCandidate[], skipped: RoutePlan['skipped'] = []): RoutePlan => ({ candidates, skipped, abTest: null });

interface Setup {
  /** The route per complexity asked; a complexity missing has no policy cell. */
  plans: Partial<Record<Complexity, RoutePlan>>;
  reserve?: BudgetService['reserve'];
  acquire?: RateLimiterService['acquire'];
  canPass?: CircuitBreakerService['canPass'];
  /** The operation's savings counterfactual (default none). */
  premium?: string;
}

function setup(s: Setup) {
  const lease = strictMock<Lease>({ release: async () => undefined, settle: async () => undefined }, 'lease');
  const router = strictMock<RouterService>(
    {
      plan: async (ctx) => {
        const p = s.plans[ctx.complexity];
        if (!p) throw new UnknownOperationError(ctx.operation, ctx.complexity);
        return p;
      },
    },
    'router',
  );
  const catalog = strictMock<CatalogService>(
    {
      // the counterfactual model is dearer: 1000 pico, the others 42
      costOf: (id: string) => ({ inputPico: 0n, cachedInputPico: 0n, outputPico: 0n, gpuPico: 0n, totalPico: id === s.premium ? 1_000n : 42n }),
      ...(s.premium ? { priceAt: () => ({}) as never } : {}),
    },
    'catalog',
  );
  const policy = strictMock<RoutingPolicyService>({ premiumCounterfactual: () => s.premium ?? null }, 'policy');
  const limiter = strictMock<RateLimiterService>({ acquire: s.acquire ?? (async () => ({ ok: true, lease })), tighten: async () => undefined }, 'limiter');
  const breaker = strictMock<CircuitBreakerService>(
    { recordFailure: async () => 'closed' as const, ...(s.canPass ? { canPass: s.canPass, recordSuccess: async () => 'closed' as const } : {}) },
    'breaker',
  );
  const budgets = strictMock<BudgetService>(
    {
      reserve: s.reserve ?? (async (_scope, estimatePico): Promise<Reservation> => ({ id: 'r', scopes: [], estimatePico })),
      settle: async () => undefined,
      release: async () => undefined,
    },
    'budgets',
  );
  const ledger = strictMock<LedgerService>({ record: async () => true }, 'ledger');
  const clock = strictMock<Clock>({ now: () => NOW }, 'clock');
  const executor = new LlmExecutor(router, catalog, policy, limiter, breaker, budgets, ledger, clock);
  return { executor, router, limiter, breaker, budgets, ledger, lease };
}

const input = (over: Partial<ExecuteInput> = {}): ExecuteInput => ({
  tenantId: 't1',
  operation: 'analyze',
  complexity: 'simple',
  messages: [{ role: 'user', content: 'hello' }],
  attemptPrefix: 'item-1:a0:analyze:0',
  ...over,
});

/** The ledger rows written, as `attemptId model outcome`. */
const booked = (ledger: jest.Mocked<LedgerService>) => ledger.record.mock.calls.map(([e]) => `${e.attemptId} ${e.modelId} ${e.outcome}`);

describe('LlmExecutor', () => {
  describe('fallback across candidates', () => {
    it('falls back to the next candidate after a server error, booking both attempts and naming where it came from', async () => {
      const a = candidate('openai/gpt-4o-mini', [new ProviderServerError('openai', 'HTTP 500', 500)]);
      const b = candidate('anthropic/claude-haiku-4-5', [answer()]);
      const { executor, ledger, breaker } = setup({ plans: { simple: plan([a.candidate, b.candidate]) } });

      const out = await executor.execute(input());

      expect(out).toMatchObject({ modelId: 'anthropic/claude-haiku-4-5', providerId: 'anthropic', costPico: 42n, fallbackFrom: 'openai/gpt-4o-mini' });
      expect(out.attempts).toEqual([
        { kind: 'failed', model: 'openai/gpt-4o-mini', error: 'server_error', detail: 'HTTP 500' },
        { kind: 'ok', model: 'anthropic/claude-haiku-4-5' },
      ]);
      expect(out.routingReason).toBe('policy analyze/simple → anthropic/claude-haiku-4-5 (cheap) after openai/gpt-4o-mini server_error');
      expect(booked(ledger)).toEqual(['item-1:a0:analyze:0:0 openai/gpt-4o-mini server_error', 'item-1:a0:analyze:0:1 anthropic/claude-haiku-4-5 success']);
      expect(breaker.recordFailure).toHaveBeenCalledWith('openai/gpt-4o-mini');
    });

    it('names the answer’s attempt and prices it on the savings counterfactual with its own usage, booked the same', async () => {
      const a = candidate('openai/gpt-4o-mini', [new ProviderServerError('openai', 'HTTP 500', 500)]);
      const b = candidate('ollama/qwen3:8b', [answer()], { tier: 'local' });
      const { executor, ledger } = setup({ plans: { simple: plan([a.candidate, b.candidate]) }, premium: 'anthropic/claude-sonnet-4-5' });
      const out = await executor.execute(input());
      expect(out).toMatchObject({ attemptId: 'item-1:a0:analyze:0:1', costPico: 42n, premium: { modelId: 'anthropic/claude-sonnet-4-5', costPico: 1_000n } });
      const success = ledger.record.mock.calls.map(([e]) => e).find((e) => e.outcome === 'success');
      expect(success).toMatchObject({ attemptId: out.attemptId, premium: out.premium });
      // without a counterfactual there is nothing to price
      const none = setup({ plans: { simple: plan([candidate('ollama/qwen3:8b', [answer()]).candidate]) } });
      expect((await none.executor.execute(input())).premium).toBeNull();
    });

    it('asks the router for the call’s cell with its token estimate and the plan’s tiers, leaving the budget to reservations', async () => {
      const { executor, router } = setup({ plans: { medium: plan([candidate('openai/gpt-4o-mini', [answer()]).candidate]) } });
      await executor.execute(input({ complexity: 'medium', itemId: 'item-1', maxTokens: 300, allowedTiers: ['local', 'cheap'] }));
      expect(router.plan).toHaveBeenCalledWith({
        tenantId: 't1',
        operation: 'analyze',
        complexity: 'medium',
        inputTokens: expect.any(Number),
        maxTokens: 300,
        budgetRemainingPico: null,
        models: undefined,
        abKey: 'item-1',
        allowedTiers: ['local', 'cheap'],
      });
    });

    it('a provider’s rate limit tightens the limiter and spares the breaker; a timeout counts against the breaker', async () => {
      const limited = candidate('openai/gpt-4o-mini', [new ProviderRateLimitedError('openai', 'slow down', 4_000)]);
      const slow = candidate('anthropic/claude-haiku-4-5', [new ProviderTimeoutError('anthropic', 'timed out')]);
      const fine = candidate('ollama/qwen3:8b', [answer()]);
      const { executor, limiter, breaker } = setup({ plans: { simple: plan([limited.candidate, slow.candidate, fine.candidate]) } });

      await executor.execute(input());

      expect(limiter.tighten).toHaveBeenCalledWith('openai/gpt-4o-mini', { retryAfterMs: 4_000 }, { rpm: null, tpm: null, maxConcurrency: null });
      expect(breaker.recordFailure.mock.calls).toEqual([['anthropic/claude-haiku-4-5']]);
    });

    it('lists the router’s skips first and says why each candidate could not take the call, in one message', async () => {
      const a = candidate('ollama/qwen3:8b', [new ContextTooLongError('ollama', 'prompt too long', 400)]);
      const { executor } = setup({ plans: { simple: plan([a.candidate], [{ model: 'ollama/mistral:7b', reason: 'disabled', detail: 'model disabled' }]) } });

      const err = await executor.execute(input()).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(NoCandidateError);
      expect((err as NoCandidateError).message).toBe(
        'No model could take this analyze call: ollama/mistral:7b: skipped:disabled (model disabled); ollama/qwen3:8b: context_too_long (prompt too long)',
      );
      expect((err as NoCandidateError).attempts.map((o) => o.kind)).toEqual(['skipped', 'failed']);
    });

    it('a prompt that fits no candidate’s context window is the caller’s 400 context_length_exceeded, not an outage', async () => {
      const skipped: RoutePlan['skipped'] = [
        { model: 'openai/gpt-4o-mini', reason: 'context-window', detail: 'needs 130000 tokens, window is 128000' },
        { model: 'ollama/mistral:7b', reason: 'disabled', detail: 'model disabled' },
      ];
      const { executor } = setup({ plans: { simple: plan([], skipped) } });

      const err = await executor.execute(input()).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(ContextLengthExceededError);
      expect(err).toMatchObject({ httpStatus: 400, code: 'context_length_exceeded' });
      expect((err as Error).message).toContain('openai/gpt-4o-mini needs 130000 tokens, window is 128000');
    });

    it('a context-window skip beside a candidate that is only cooling off is still a wait, not a 400', async () => {
      const skipped: RoutePlan['skipped'] = [
        { model: 'openai/gpt-4o-mini', reason: 'context-window', detail: 'needs 130000 tokens, window is 128000' },
        { model: 'anthropic/claude-haiku-4-5', reason: 'circuit-open', detail: 'circuit open', retryAfterMs: 5_000 },
      ];
      const { executor } = setup({ plans: { simple: plan([], skipped) } });
      const err = await executor.execute(input()).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(ContextLengthExceededError);
    });

    it('stops at an error another model would not fix (auth): the next candidate is never called', async () => {
      const a = candidate('openai/gpt-4o-mini', [new ProviderAuthError('openai', 'bad key', 401)]);
      const b = candidate('anthropic/claude-haiku-4-5', [answer()]);
      const { executor, ledger, budgets, lease } = setup({ plans: { simple: plan([a.candidate, b.candidate]) } });

      const err = await executor.execute(input()).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(LlmCallFailedError);
      expect((err as LlmCallFailedError).kind).toBe('auth');
      expect(b.provider.chat).not.toHaveBeenCalled();
      expect(booked(ledger)).toEqual(['item-1:a0:analyze:0:0 openai/gpt-4o-mini auth']);
      expect(ledger.record.mock.calls[0]?.[0].costPico).toBe(0n);
      expect(budgets.release).toHaveBeenCalledTimes(1);
      expect(lease.release).toHaveBeenCalledTimes(1);
    });

    it('asks the same model once more to repair invalid JSON, quoting its answer and the problems', async () => {
      const a = candidate('openai/gpt-4o-mini', [new InvalidOutputError('openai', 'not JSON', '{oops', ['unexpected token']), answer()]);
      const { executor, ledger } = setup({ plans: { simple: plan([a.candidate]) } });

      const out = await executor.execute(input({ outputSchema: { name: 'analyze', schema: { type: 'object' } } }));

      expect(out.modelId).toBe('openai/gpt-4o-mini');
      expect(a.provider.requests[1]?.messages.slice(1)).toEqual([
        { role: 'assistant', content: '{oops' },
        { role: 'user', content: 'That answer was not valid for the required JSON schema (unexpected token). Reply again with only the corrected JSON.' },
      ]);
      expect(booked(ledger)).toEqual(['item-1:a0:analyze:0:0 openai/gpt-4o-mini invalid_output', 'item-1:a0:analyze:0:1 openai/gpt-4o-mini success']);
    });

    it('waits out a short retry-after on the same model when the next one costs more', async () => {
      const a = candidate('openai/gpt-4o-mini', [new ProviderRateLimitedError('openai', 'slow down', 5), answer()], { estimatePico: 1_000n });
      const b = candidate('anthropic/claude-sonnet-4-5', [], { estimatePico: 9_000n });
      const { executor } = setup({ plans: { simple: plan([a.candidate, b.candidate]) } });

      const out = await executor.execute(input({ maxWaitMs: 1_000 }));

      expect(out.modelId).toBe('openai/gpt-4o-mini');
      expect(a.provider.chat).toHaveBeenCalledTimes(2);
      expect(b.provider.chat).not.toHaveBeenCalled();
    });

    it('falls back at once instead of waiting when the next candidate is no dearer, or the wait is longer than allowed', async () => {
      const cheapNext = [
        candidate('openai/gpt-4o-mini', [new ProviderRateLimitedError('openai', 'slow down', 5)]),
        candidate('openai/gpt-4.1-mini', [answer()]),
      ];
      const first = setup({ plans: { simple: plan(cheapNext.map((c) => c.candidate)) } });
      expect((await first.executor.execute(input({ maxWaitMs: 1_000 }))).modelId).toBe('openai/gpt-4.1-mini');

      const longWait = [
        candidate('openai/gpt-4o-mini', [new ProviderRateLimitedError('openai', 'slow down', 5_000)]),
        candidate('anthropic/claude-sonnet-4-5', [answer()], { estimatePico: 9_000n }),
      ];
      const second = setup({ plans: { simple: plan(longWait.map((c) => c.candidate)) } });
      expect((await second.executor.execute(input({ maxWaitMs: 1_000 }))).modelId).toBe('anthropic/claude-sonnet-4-5');
      expect(cheapNext[0]?.provider.chat).toHaveBeenCalledTimes(1);
      expect(longWait[0]?.provider.chat).toHaveBeenCalledTimes(1);
    });

    it('an abort during the retry-after wait ends it at once with the caller’s reason, sending nothing more', async () => {
      const a = candidate('openai/gpt-4o-mini', [new ProviderRateLimitedError('openai', 'slow down', 10_000), answer()]);
      const { executor, ledger } = setup({ plans: { simple: plan([a.candidate]) } });
      const controller = new AbortController();
      const reason = new Error('job cancelled');
      ledger.record.mockImplementationOnce(async () => {
        // The failed attempt is booked just before the wait begins.
        setTimeout(() => controller.abort(reason), 20);
        return true;
      });
      const t0 = performance.now();

      await expect(executor.execute(input({ maxWaitMs: 30_000, signal: controller.signal }))).rejects.toBe(reason);

      expect(performance.now() - t0).toBeLessThan(2_000);
      expect(a.provider.chat).toHaveBeenCalledTimes(1);
      expect(booked(ledger)).toEqual(['item-1:a0:analyze:0:0 openai/gpt-4o-mini rate_limited']);
    });

    it('skips a candidate the limiter or the budget refuses, and tries the next', async () => {
      const a = candidate('openai/gpt-4o-mini', []);
      const b = candidate('anthropic/claude-haiku-4-5', [], { estimatePico: 5_000n });
      const c = candidate('ollama/qwen3:8b', [answer()], { estimatePico: 0n });
      const { executor, lease } = setup({
        plans: { simple: plan([a.candidate, b.candidate, c.candidate]) },
        acquire: async (key) => (key === 'openai/gpt-4o-mini' ? { ok: false, reason: 'rpm', retryAfterMs: 1_500 } : { ok: true, lease }),
        reserve: async (_scope, estimatePico) => {
          if (estimatePico > 0n) throw new BudgetExceededError('tenant monthly budget', 'The tenant budget is spent');
          return { id: 'r', scopes: [], estimatePico };
        },
      });

      const out = await executor.execute(input());

      expect(out.attempts).toEqual([
        { kind: 'skipped', model: 'openai/gpt-4o-mini', reason: 'rate-limit', detail: 'rpm limit, free in 1500 ms' },
        { kind: 'skipped', model: 'anthropic/claude-haiku-4-5', reason: 'budget', detail: 'The tenant budget is spent' },
        { kind: 'ok', model: 'ollama/qwen3:8b' },
      ]);
      expect(out.fallbackFrom).toBeNull();
      // The lease taken for the budget-refused candidate went back.
      expect(lease.release).toHaveBeenCalledTimes(1);
    });

    it('answers the budget’s own refusal when the budget refused every candidate and nothing was sent', async () => {
      const refusal = new BudgetExceededError('job budget', 'The job budget is exhausted');
      const { executor } = setup({
        plans: { simple: plan([candidate('openai/gpt-4o-mini', []).candidate]) },
        reserve: async () => Promise.reject(refusal),
      });
      await expect(executor.execute(input())).rejects.toBe(refusal);
    });

    it('skips a half-open candidate whose probe is taken, and reports an outage with when to look again', async () => {
      const a = candidate('ollama/qwen3:8b', [], { circuit: { state: 'half-open', failures: 3 } });
      const { executor, breaker } = setup({
        plans: { simple: plan([a.candidate]) },
        canPass: async () => ({ allowed: false, state: 'half-open', retryAfterMs: 30_000 }),
      });

      const err = await executor.execute(input()).catch((e: unknown) => e);

      expect(breaker.canPass).toHaveBeenCalledWith('ollama/qwen3:8b');
      expect(err).toBeInstanceOf(ProvidersUnavailableError);
      expect(err).toMatchObject({
        retryAfterMs: 2_000,
        reason: 'ollama/qwen3:8b: circuit half-open, probe in flight',
        attempts: [{ kind: 'skipped', model: 'ollama/qwen3:8b', reason: 'circuit-open' }],
      });
      expect(a.provider.chat).not.toHaveBeenCalled();
    });

    it('a refusing beforeDispatch sends and books nothing, and gives the lease and the reservation back', async () => {
      const a = candidate('openai/gpt-4o-mini', [answer()]);
      const { executor, ledger, budgets, lease } = setup({ plans: { simple: plan([a.candidate]) } });
      const cancelled = new Error('job cancelled');

      await expect(executor.execute(input({ beforeDispatch: () => Promise.reject(cancelled) }))).rejects.toBe(cancelled);

      expect(a.provider.chat).not.toHaveBeenCalled();
      expect(ledger.record).not.toHaveBeenCalled();
      expect(budgets.release).toHaveBeenCalledTimes(1);
      expect(lease.release).toHaveBeenCalledTimes(1);
    });

    it('streams deltas, and once one reached the caller a cut stream is not retried elsewhere', async () => {
      const a = candidate('openai/gpt-4o-mini', [answer('{"part":1}')]);
      const { executor } = setup({ plans: { simple: plan([a.candidate]) } });
      const events: string[] = [];
      for await (const e of executor.stream(input()))
        events.push(e.type === 'delta' ? `delta ${e.text}` : e.type === 'done' ? `done ${e.outcome.modelId}` : 'tool_call');
      expect(events).toEqual(['delta {"part":1}', 'done openai/gpt-4o-mini']);

      const cut = new StreamInterruptedError('openai', 'stream cut');
      const b = candidate('openai/gpt-4o-mini', []);
      b.candidate.provider = strictMock<LlmProvider>({
        chatStream: () =>
          (async function* (): AsyncGenerator<ChatStreamEvent> {
            yield { type: 'delta', text: '{"par' };
            throw cut;
          })(),
      });
      const spare = candidate('anthropic/claude-haiku-4-5', [answer()]);
      const second = setup({ plans: { simple: plan([b.candidate, spare.candidate]) } });
      const seen: string[] = [];
      await expect(
        (async () => {
          for await (const e of second.executor.stream(input())) if (e.type === 'delta') seen.push(e.text);
        })(),
      ).rejects.toBe(cut);
      expect(seen).toEqual(['{"par']);
      expect(spare.provider.chatStream).not.toHaveBeenCalled();
    });
  });

  describe('fallback across tiers (stepDown)', () => {
    const forbidden = (model: string): RoutePlan => plan([], [{ model, reason: 'plan', detail: 'the plan allows local models, this one is premium' }]);

    it('steps down one complexity at a time while every candidate is skipped, with the same attempt ids (nothing was booked)', async () => {
      const local = candidate('ollama/qwen3:8b', [answer()], { tier: 'local', estimatePico: 0n });
      const { executor, router, ledger } = setup({
        plans: { complex: forbidden('anthropic/claude-sonnet-4-5'), medium: forbidden('openai/gpt-4o'), simple: plan([local.candidate]) },
      });

      const out = await executor.execute(input({ complexity: 'complex', stepDown: true, allowedTiers: ['local'] }));

      expect(router.plan.mock.calls.map(([ctx]) => ctx.complexity)).toEqual(['complex', 'medium', 'simple']);
      expect(out.modelId).toBe('ollama/qwen3:8b');
      expect(out.routingReason).toBe('policy analyze/simple → ollama/qwen3:8b (local)');
      expect(booked(ledger)).toEqual(['item-1:a0:analyze:0:0 ollama/qwen3:8b success']);
    });

    it('without stepDown, a tier the plan rules out is the caller’s 403, naming the plan and the cell', async () => {
      const { executor, router } = setup({ plans: { medium: forbidden('openai/gpt-4o'), simple: plan([candidate('ollama/qwen3:8b', [answer()]).candidate]) } });

      const err = await executor.execute(input({ complexity: 'medium', allowedTiers: ['local'] })).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(PlanForbidsModelsError);
      expect((err as Error).message).toBe(
        "The tenant's plan allows only local models, which rules out every candidate of the policy cell analyze × medium (openai/gpt-4o)",
      );
      expect(router.plan).toHaveBeenCalledTimes(1);
    });

    it('steps down when the budget refuses every candidate of a tier', async () => {
      const dear = candidate('openai/gpt-4o', [], { estimatePico: 9_000n });
      const free = candidate('ollama/qwen3:8b', [answer()], { estimatePico: 0n });
      const { executor } = setup({
        plans: { medium: plan([dear.candidate]), simple: plan([free.candidate]) },
        reserve: async (_scope, estimatePico) => {
          if (estimatePico > 0n) throw new BudgetExceededError('job budget', 'The job budget is exhausted');
          return { id: 'r', scopes: [], estimatePico };
        },
      });
      expect((await executor.execute(input({ complexity: 'medium', stepDown: true }))).modelId).toBe('ollama/qwen3:8b');
    });

    it('a tier only waiting for a provider steps down; when no lower tier answers either, the outage is what it reports', async () => {
      const { executor, router } = setup({
        plans: {
          medium: plan([], [{ model: 'ollama/qwen3:8b', reason: 'circuit-open', detail: 'circuit open after 5 failures; retry in 20s', retryAfterMs: 20_000 }]),
          simple: forbidden('anthropic/claude-haiku-4-5'),
        },
      });

      const err = await executor.execute(input({ complexity: 'medium', stepDown: true })).catch((e: unknown) => e);

      expect(router.plan).toHaveBeenCalledTimes(2);
      expect(err).toBeInstanceOf(ProvidersUnavailableError);
      expect(err).toMatchObject({ retryAfterMs: 20_000, retryAfterSeconds: 20, retryAt: new Date(NOW.getTime() + 20_000) });
    });

    it('of two tiers only waiting, reports the one back soonest', async () => {
      const open = (model: string, ms: number): RoutePlan => plan([], [{ model, reason: 'circuit-open', detail: 'open', retryAfterMs: ms }]);
      const { executor } = setup({ plans: { medium: open('openai/gpt-4o', 20_000), simple: open('ollama/qwen3:8b', 7_000) } });
      await expect(executor.execute(input({ complexity: 'medium', stepDown: true }))).rejects.toMatchObject({
        retryAfterMs: 7_000,
        reason: 'ollama/qwen3:8b: circuit open: open',
      });
    });

    it('does not step down once a model was tried in the tier (its attempts are booked): its outage or failure is reported as is', async () => {
      const down = candidate('ollama/qwen3:8b', [new ProviderUnavailableError('ollama', 'connect ECONNREFUSED')]);
      const first = setup({ plans: { medium: plan([down.candidate]), simple: plan([candidate('ollama/llama3.2:3b', [answer()]).candidate]) } });
      const outage = await first.executor.execute(input({ complexity: 'medium', stepDown: true })).catch((e: unknown) => e);
      expect(outage).toBeInstanceOf(ProvidersUnavailableError);
      expect((outage as ProvidersUnavailableError).attempts).toEqual([
        { kind: 'failed', model: 'ollama/qwen3:8b', error: 'unavailable', detail: 'connect ECONNREFUSED' },
      ]);
      expect(first.router.plan).toHaveBeenCalledTimes(1);

      const tooLong = candidate('openai/gpt-4o', [new ContextTooLongError('openai', 'too long', 400)]);
      const second = setup({ plans: { complex: plan([tooLong.candidate]), medium: plan([candidate('openai/gpt-4o-mini', [answer()]).candidate]) } });
      await expect(second.executor.execute(input({ complexity: 'complex', stepDown: true }))).rejects.toBeInstanceOf(NoCandidateError);
      expect(second.router.plan).toHaveBeenCalledTimes(1);
    });

    it('reports why the tier asked for failed when a lower complexity has no policy cell', async () => {
      const { executor, router } = setup({ plans: { complex: forbidden('anthropic/claude-sonnet-4-5'), medium: forbidden('openai/gpt-4o') } });

      const err = await executor.execute(input({ complexity: 'complex', stepDown: true, allowedTiers: ['local'] })).catch((e: unknown) => e);

      expect(router.plan.mock.calls.map(([ctx]) => ctx.complexity)).toEqual(['complex', 'medium', 'simple']);
      expect(err).toBeInstanceOf(PlanForbidsModelsError);
      expect((err as Error).message).toContain('policy cell analyze × complex');
    });

    it('a complexity with no policy cell at all is the caller’s error, not stepped around', async () => {
      const { executor } = setup({ plans: { simple: plan([candidate('ollama/qwen3:8b', [answer()]).candidate]) } });
      await expect(executor.execute(input({ complexity: 'medium', stepDown: true }))).rejects.toBeInstanceOf(UnknownOperationError);
    });
  });
});

describe('LlmExecutor: tools and the optional request fields', () => {
  const weather = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

  it('asks the router for models with the tools capability and providers that pass each field, and sends the fields on', async () => {
    const a = candidate('openai/gpt-4o-mini', [answer('{"ok":true}')]);
    Object.assign(a.provider, { supports: new Set(['n', 'seed', 'stop']) });
    const { executor, router } = setup({ plans: { simple: plan([a.candidate]) } });
    const planSpy = jest.spyOn(router, 'plan');
    await executor.execute(input({ params: { tools: [weather], toolChoice: 'required', seed: 4, stop: ['END'], n: 2 } }));
    expect(planSpy.mock.calls[0]?.[0]).toMatchObject({ capabilities: ['tools'], features: ['stop', 'seed'] });
    expect(a.provider.requests[0]).toMatchObject({ tools: [weather], toolChoice: 'required', seed: 4, stop: ['END'], n: 2 });
  });

  it('leaves n out for a provider without it (the caller asks again), and needs tools for tool turns in the history alone', async () => {
    const a = candidate('anthropic/claude-haiku-4-5', [answer('{"ok":true}')]);
    Object.assign(a.provider, { supports: new Set(['stop']) });
    const { executor, router } = setup({ plans: { simple: plan([a.candidate]) } });
    const planSpy = jest.spyOn(router, 'plan');
    const messages: ExecuteInput['messages'] = [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{}' }] },
      { role: 'tool', content: 'sunny', toolCallId: 'c1' },
    ];
    await executor.execute(input({ messages, params: { n: 3 } }));
    expect(planSpy.mock.calls[0]?.[0]).toMatchObject({ capabilities: ['tools'] });
    expect(planSpy.mock.calls[0]?.[0]).not.toHaveProperty('features');
    expect(a.provider.requests[0]?.n).toBeUndefined();
    expect(a.provider.requests[0]?.messages).toEqual(messages);
  });

  it('a call no model can take for want of a capability or a field is a 400 naming the field, not an outage', async () => {
    const skippedSeed: RoutePlan['skipped'] = [
      { model: 'anthropic/claude-haiku-4-5', reason: 'unsupported', detail: 'its provider (anthropic) cannot take seed', missing: 'seed' },
      { model: 'ollama/mistral:7b', reason: 'disabled', detail: 'model disabled' },
    ];
    const { executor } = setup({ plans: { simple: plan([], skippedSeed) } });
    const err = await executor.execute(input({ params: { seed: 1 } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedParameterError);
    expect(err).toMatchObject({ httpStatus: 400, param: 'seed', code: 'unsupported_parameter' });
    expect((err as Error).message).toContain('anthropic/claude-haiku-4-5 (its provider (anthropic) cannot take seed)');

    const noTools: RoutePlan['skipped'] = [
      { model: 'ollama/tiny', reason: 'unsupported', detail: 'the model has no tools capability in the catalog', missing: 'tools' },
    ];
    const { executor: e2 } = setup({ plans: { simple: plan([], noTools) } });
    await expect(e2.execute(input({ params: { tools: [weather] } }))).rejects.toMatchObject({ param: 'tools', httpStatus: 400 });
  });

  it('passes tool-call deltas through a stream', async () => {
    const calls = [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Oslo"}' }];
    const result: ChatResult = { ...answer('{}'), text: '', json: undefined, toolCalls: calls, finishReason: 'tool_use' };
    const p = strictMock<LlmProvider>(
      {
        chatStream: () =>
          (async function* (): AsyncGenerator<ChatStreamEvent> {
            yield { type: 'tool_call', delta: { index: 0, id: 'c1', name: 'get_weather', arguments: '' } };
            yield { type: 'tool_call', delta: { index: 0, arguments: '{"city":"Oslo"}' } };
            yield { type: 'done', result };
          })(),
      },
      'tool provider',
    );
    const a = candidate('openai/gpt-4o-mini', []);
    a.candidate.provider = p;
    const { executor } = setup({ plans: { simple: plan([a.candidate]) } });
    const seen: string[] = [];
    for await (const e of executor.stream(input({ params: { tools: [weather] } }))) {
      seen.push(
        e.type === 'tool_call'
          ? `call ${e.delta.index} ${e.delta.name ?? ''}${e.delta.arguments}`
          : e.type === 'done'
            ? `done ${e.outcome.result.toolCalls?.length}`
            : 'delta',
      );
    }
    expect(seen).toEqual(['call 0 get_weather', 'call 0 {"city":"Oslo"}', 'done 1']);
  });
});
