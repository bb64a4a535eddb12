import type { Clock } from '@margin/core';
import type { LlmProvider, ProviderFeature, ProviderRegistry } from '@margin/providers';
import { strictMock } from '@margin/testing';
import type { CatalogService } from '../catalog/catalog.service';
import type { ModelPriceEntity } from '../catalog/model-price.entity';
import type { ModelEntity } from '../catalog/model.entity';
import type { CircuitBreakerService } from '../limits/circuit-breaker';
import type { RoutingPolicyService } from '../policy/routing-policy.service';
import { RouterService, type RouteContext } from './router.service';

const model = (id: string, capabilities: string[]): ModelEntity =>
  ({
    id,
    providerId: id.split('/')[0],
    name: id.split('/')[1],
    tier: 'cheap',
    contextWindow: 8_000,
    enabled: true,
    gpuUsdPerHour: null,
    parallelSlots: 1,
    capabilities,
  }) as ModelEntity;

const CATALOG = [
  model('openai/gpt-4o-mini', ['chat', 'tools']),
  model('anthropic/claude-haiku-4-5', ['chat', 'tools']),
  model('ollama/tiny', ['chat']),
  model('ollama/qwen3:8b', ['chat', 'tools']),
];
const SUPPORTS: Record<string, ProviderFeature[]> = { openai: ['n', 'seed', 'stop', 'logprobs'], anthropic: ['stop'], ollama: ['stop', 'seed'] };

function router(): RouterService {
  const policy = strictMock<RoutingPolicyService>(
    { cell: () => ({ operation: 'chat', complexity: 'medium', candidates: CATALOG.map((m) => m.id), abTest: null }) },
    'policy',
  );
  const price = { inputUsdPerMTok: '1', cachedInputUsdPerMTok: '1', outputUsdPerMTok: '1' } as ModelPriceEntity;
  const catalog = strictMock<CatalogService>({ model: (id) => CATALOG.find((m) => m.id === id), priceAt: () => price }, 'catalog');
  const providers = strictMock<ProviderRegistry>(
    { adapter: (id) => strictMock<LlmProvider>({ kind: id as LlmProvider['kind'], supports: new Set(SUPPORTS[id]) }, `adapter ${id}`) },
    'providers',
  );
  const breaker = strictMock<CircuitBreakerService>(
    { routingSnapshot: async (keys) => keys.map((key) => ({ key, state: 'closed' as const, failures: 0 })) },
    'breaker',
  );
  return new RouterService(policy, catalog, providers, breaker, strictMock<Clock>({ now: () => new Date('2026-03-01T12:00:00Z') }, 'clock'));
}

const ctx = (over: Partial<RouteContext> = {}): RouteContext => ({
  tenantId: 't',
  operation: 'chat',
  complexity: 'medium',
  inputTokens: 10,
  maxTokens: 10,
  budgetRemainingPico: null,
  ...over,
});

describe('RouterService: capabilities and provider features', () => {
  it('skips models without the tools capability for a call that needs tools, saying so', async () => {
    const plan = await router().plan(ctx({ capabilities: ['tools'] }));
    expect(plan.candidates.map((c) => c.model.id)).toEqual(['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5', 'ollama/qwen3:8b']);
    expect(plan.skipped).toEqual([
      { model: 'ollama/tiny', reason: 'unsupported', detail: 'the model has no tools capability in the catalog', missing: 'tools' },
    ]);
  });

  it('keeps every model for a call without tools', async () => {
    expect((await router().plan(ctx())).candidates).toHaveLength(4);
  });

  it('skips models whose provider cannot pass a field the call uses, naming the field as OpenAI spells it', async () => {
    const plan = await router().plan(ctx({ features: ['seed'] }));
    expect(plan.candidates.map((c) => c.model.id)).toEqual(['openai/gpt-4o-mini', 'ollama/tiny', 'ollama/qwen3:8b']);
    expect(plan.skipped).toEqual([
      { model: 'anthropic/claude-haiku-4-5', reason: 'unsupported', detail: 'its provider (anthropic) cannot take seed', missing: 'seed' },
    ]);
    const logprobs = await router().plan(ctx({ features: ['logprobs'], models: ['ollama/qwen3:8b'] }));
    expect(logprobs.candidates).toEqual([]);
    expect(logprobs.skipped[0]).toMatchObject({ reason: 'unsupported', missing: 'logprobs' });
  });
});
