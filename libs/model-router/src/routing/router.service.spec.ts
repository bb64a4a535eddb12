import type { Complexity, PolicyCell } from '@margin/contracts';
import type { Clock } from '@margin/core';
import type { LlmProvider, ProviderRegistry } from '@margin/providers';
import { strictMock } from '@margin/testing';
import type { CatalogService } from '../catalog/catalog.service';
import type { ModelPriceEntity } from '../catalog/model-price.entity';
import type { ModelEntity } from '../catalog/model.entity';
import type { CircuitBreakerService, CircuitSnapshot } from '../limits/circuit-breaker';
import type { RoutingPolicyService } from '../policy/routing-policy.service';
import { RouterService, type RouteContext } from './router.service';

const NOW = new Date('2026-03-01T12:00:00Z');

const model = (id: string, over: Partial<ModelEntity> = {}): ModelEntity =>
  ({
    id,
    providerId: id.split('/')[0],
    name: id.split('/')[1],
    tier: 'cheap',
    contextWindow: 8_000,
    enabled: true,
    gpuUsdPerHour: null,
    parallelSlots: 1,
    ...over,
  }) as ModelEntity;

/** USD per million tokens: input, output. */
const price = (input: string, output: string) => ({ inputUsdPerMTok: input, cachedInputUsdPerMTok: input, outputUsdPerMTok: output }) as ModelPriceEntity;

const CATALOG: ModelEntity[] = [
  model('openai/gpt-4o-mini'),
  model('anthropic/claude-haiku-4-5'),
  model('anthropic/claude-sonnet-4-5', { tier: 'premium', contextWindow: 200_000 }),
  model('ollama/qwen3:8b', { tier: 'local', gpuUsdPerHour: '3.6', parallelSlots: 2 }),
  model('ollama/mistral:7b', { tier: 'local', enabled: false }),
  model('vllm/llama3', { tier: 'local' }),
  model('ollama/unpriced', { tier: 'local' }),
];
const PRICES: Record<string, ModelPriceEntity> = {
  'openai/gpt-4o-mini': price('1', '2'),
  'anthropic/claude-haiku-4-5': price('1', '5'),
  'anthropic/claude-sonnet-4-5': price('3', '15'),
  'ollama/qwen3:8b': price('0', '0'),
};

interface Setup {
  cells?: Partial<Record<Complexity, PolicyCell>>;
  circuits?: CircuitSnapshot[];
}

function setup(s: Setup = {}) {
  const policy = strictMock<RoutingPolicyService>(
    {
      cell: (_tenantId, operation, complexity) => {
        const cell = s.cells?.[complexity];
        if (!cell) throw new Error(`no cell ${operation}/${complexity}`);
        return cell;
      },
    },
    'policy',
  );
  const catalog = strictMock<CatalogService>({ model: (id) => CATALOG.find((m) => m.id === id), priceAt: (id) => PRICES[id] }, 'catalog');
  const adapter = strictMock<LlmProvider>({}, 'adapter');
  // vllm is not configured on this installation.
  const providers = strictMock<ProviderRegistry>({ adapter: (id) => (id === 'vllm' ? undefined : adapter) }, 'providers');
  const breaker = strictMock<CircuitBreakerService>(
    { routingSnapshot: async (keys) => keys.map((key) => s.circuits?.find((c) => c.key === key) ?? { key, state: 'closed', failures: 0 }) },
    'breaker',
  );
  const clock = strictMock<Clock>({ now: () => NOW }, 'clock');
  return { router: new RouterService(policy, catalog, providers, breaker, clock), policy, catalog, breaker };
}

const cell = (complexity: Complexity, candidates: string[], abTest: PolicyCell['abTest'] = null): PolicyCell => ({
  operation: 'analyze',
  complexity,
  candidates,
  abTest,
});

const ctx = (over: Partial<RouteContext> = {}): RouteContext => ({
  tenantId: 't1',
  operation: 'analyze',
  complexity: 'simple',
  inputTokens: 1_000,
  maxTokens: 500,
  budgetRemainingPico: null,
  ...over,
});

const ids = (p: { candidates: Array<{ model: ModelEntity }> }) => p.candidates.map((c) => c.model.id);

describe('RouterService', () => {
  it('routes each operation × complexity through its own policy cell, in the cell’s order', async () => {
    const { router, policy } = setup({
      cells: {
        simple: cell('simple', ['ollama/qwen3:8b', 'openai/gpt-4o-mini']),
        complex: cell('complex', ['anthropic/claude-sonnet-4-5', 'openai/gpt-4o-mini']),
      },
    });

    expect(ids(await router.plan(ctx()))).toEqual(['ollama/qwen3:8b', 'openai/gpt-4o-mini']);
    expect(ids(await router.plan(ctx({ complexity: 'complex' })))).toEqual(['anthropic/claude-sonnet-4-5', 'openai/gpt-4o-mini']);
    expect(policy.cell.mock.calls).toEqual([
      ['t1', 'analyze', 'simple'],
      ['t1', 'analyze', 'complex'],
    ]);
  });

  it('tries explicitly requested models instead of the policy', async () => {
    const { router, policy } = setup();
    expect(ids(await router.plan(ctx({ models: ['anthropic/claude-haiku-4-5', 'openai/gpt-4o-mini'] })))).toEqual([
      'anthropic/claude-haiku-4-5',
      'openai/gpt-4o-mini',
    ]);
    expect(policy.cell).not.toHaveBeenCalled();
  });

  it('estimates the worst case: every output token, no cache, and a local model’s GPU time at a slow pace', async () => {
    const { router } = setup({ cells: { simple: cell('simple', ['openai/gpt-4o-mini', 'ollama/qwen3:8b', 'anthropic/claude-haiku-4-5']) } });
    const p = await router.plan(ctx());
    // 1,000 × $1/M + 500 × $2/M = $0.002; GPU: 500 tokens at 10/s = 50 s of a $3.60/h GPU shared by 2 = $0.025.
    expect(p.candidates.map((c) => [c.model.id, c.estimatePico])).toEqual([
      ['openai/gpt-4o-mini', 2_000_000_000n],
      ['ollama/qwen3:8b', 25_000_000_000n],
      ['anthropic/claude-haiku-4-5', 3_500_000_000n],
    ]);
  });

  it('skips what cannot take the call, saying why, and keeps the order of the rest', async () => {
    const { router } = setup({
      cells: {
        medium: cell('medium', [
          'nope/unknown',
          'anthropic/claude-sonnet-4-5',
          'ollama/mistral:7b',
          'vllm/llama3',
          'ollama/qwen3:8b',
          'openai/gpt-4o-mini',
          'anthropic/claude-haiku-4-5',
        ]),
      },
      circuits: [{ key: 'ollama/qwen3:8b', state: 'open', failures: 5, retryAfterMs: 12_300 }],
    });

    const p = await router.plan(ctx({ complexity: 'medium', allowedTiers: ['local', 'cheap'], inputTokens: 7_600, maxTokens: 500 }));

    expect(ids(p)).toEqual([]);
    expect(p.skipped).toEqual([
      { model: 'nope/unknown', reason: 'unknown-model', detail: 'not in the catalog' },
      { model: 'anthropic/claude-sonnet-4-5', reason: 'plan', detail: 'the plan allows local, cheap models, this one is premium' },
      { model: 'ollama/mistral:7b', reason: 'disabled', detail: 'model disabled' },
      { model: 'vllm/llama3', reason: 'disabled', detail: 'provider vllm is disabled or not configured' },
      { model: 'ollama/qwen3:8b', reason: 'circuit-open', detail: 'circuit open after 5 failures; retry in 13s', retryAfterMs: 12_300 },
      { model: 'openai/gpt-4o-mini', reason: 'context-window', detail: 'needs 8100 tokens, window is 8000' },
      { model: 'anthropic/claude-haiku-4-5', reason: 'context-window', detail: 'needs 8100 tokens, window is 8000' },
    ]);
  });

  it('keeps a candidate whose worst case fits the remaining budget exactly, skips dearer ones, and never skips a $0 estimate', async () => {
    const { router } = setup();
    const p = await router.plan(ctx({ budgetRemainingPico: 2_000_000_000n, models: ['anthropic/claude-haiku-4-5', 'openai/gpt-4o-mini'] }));
    expect(ids(p)).toEqual(['openai/gpt-4o-mini']);
    expect(p.skipped).toEqual([{ model: 'anthropic/claude-haiku-4-5', reason: 'budget', detail: 'worst case $0.0035 exceeds the remaining $0.002' }]);

    // A model without a price (nothing known to bill) estimates $0: a spent budget does not rule it out.
    const spent = await router.plan(ctx({ budgetRemainingPico: 0n, models: ['openai/gpt-4o-mini', 'ollama/unpriced'] }));
    expect(ids(spent)).toEqual(['ollama/unpriced']);
    expect(spent.candidates[0]?.estimatePico).toBe(0n);
  });

  it('carries a half-open circuit (and a closed one with failures) to the executor, which then asks the breaker again', async () => {
    const { router } = setup({
      cells: { simple: cell('simple', ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5']) },
      circuits: [
        { key: 'openai/gpt-4o-mini', state: 'half-open', failures: 5 },
        { key: 'anthropic/claude-haiku-4-5', state: 'closed', failures: 2 },
      ],
    });
    const p = await router.plan(ctx());
    expect(p.candidates.map((c) => c.circuit)).toEqual([
      { state: 'half-open', failures: 5 },
      { state: 'closed', failures: 2 },
    ]);
  });

  it('puts the A/B challenger first for its share of keys, the same way every time for one key', async () => {
    const always = setup({
      cells: { simple: cell('simple', ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5'], { challenger: 'anthropic/claude-haiku-4-5', share: 1 }) },
    });
    const chosen = await always.router.plan(ctx({ abKey: 'item-1' }));
    expect(ids(chosen)).toEqual(['anthropic/claude-haiku-4-5', 'openai/gpt-4o-mini']);
    expect(chosen.abTest).toEqual({ challenger: 'anthropic/claude-haiku-4-5', share: 1, challengerChosen: true });

    const rarely = setup({
      cells: { simple: cell('simple', ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5'], { challenger: 'anthropic/claude-haiku-4-5', share: 1e-9 }) },
    });
    const notChosen = await rarely.router.plan(ctx({ abKey: 'item-1' }));
    expect(ids(notChosen)).toEqual(['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5']);
    expect(notChosen.abTest?.challengerChosen).toBe(false);

    const half = setup({
      cells: { simple: cell('simple', ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5'], { challenger: 'anthropic/claude-haiku-4-5', share: 0.5 }) },
    });
    const decisions = await Promise.all(['a', 'a', 'b', 'b'].map(async (k) => (await half.router.plan(ctx({ abKey: `item-${k}` }))).abTest?.challengerChosen));
    expect(decisions[0]).toBe(decisions[1]);
    expect(decisions[2]).toBe(decisions[3]);

    const off = setup({ cells: { simple: cell('simple', ['openai/gpt-4o-mini'], { challenger: 'anthropic/claude-haiku-4-5', share: 0 }) } });
    expect((await off.router.plan(ctx())).abTest).toBeNull();
  });

  it('explains the choice in words, with what was skipped, and says so when nothing can take the call', async () => {
    const { router } = setup({ cells: { simple: cell('simple', ['ollama/mistral:7b', 'openai/gpt-4o-mini']), medium: cell('medium', ['ollama/mistral:7b']) } });
    expect((await router.explain(ctx())).reason).toBe('analyze/simple → openai/gpt-4o-mini (cheap), after skipping ollama/mistral:7b (disabled)');
    const none = await router.explain(ctx({ complexity: 'medium' }));
    expect(none).toMatchObject({ chosen: null, candidates: [], reason: 'no candidate can take this call: ollama/mistral:7b (disabled: model disabled)' });
  });
});
