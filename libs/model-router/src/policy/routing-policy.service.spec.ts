import type { RoutingPolicyEntity } from './routing-policy.entity';
import type { AppConfig, ChangeFeed } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { CatalogService } from '../catalog/catalog.service';
import type { RoutingPolicyRepository } from './routing-policy.repository';
import { RoutingPolicyService } from './routing-policy.service';

const TIERS: Record<string, string> = {
  'ollama/qwen3:8b': 'local',
  'openai/gpt-4o-mini': 'cheap',
  'anthropic/claude-haiku-4-5': 'standard',
  'anthropic/claude-sonnet-4-5': 'premium',
  'openai/gpt-4o': 'premium',
};

const row = (tenantId: string | null, operation: string, complexity: 'simple' | 'medium' | 'complex', candidates: string[]): RoutingPolicyEntity =>
  ({
    id: `${tenantId}-${operation}-${complexity}`,
    tenantId,
    operation,
    complexity,
    candidates,
    abChallenger: null,
    abShare: null,
    updatedAt: new Date(),
  }) as RoutingPolicyEntity;

async function service(rows: RoutingPolicyEntity[], counterfactual: AppConfig['savingsCounterfactual'] = { byOperation: {} }) {
  const repo = strictMock<RoutingPolicyRepository>({ listAll: async () => rows });
  const catalog = strictMock<CatalogService>({ model: (id: string) => (TIERS[id] ? ({ id, tier: TIERS[id] } as never) : undefined) });
  const s = new RoutingPolicyService(repo, catalog, strictMock<ChangeFeed>({}), { savingsCounterfactual: counterfactual } as AppConfig);
  await s.reload();
  return s;
}

describe('RoutingPolicyService.premiumCounterfactual (what savings are measured against)', () => {
  const global = [
    row(null, 'analyze', 'simple', ['ollama/qwen3:8b']),
    row(null, 'analyze', 'medium', ['ollama/qwen3:8b']),
    row(null, 'analyze', 'complex', ['anthropic/claude-sonnet-4-5', 'openai/gpt-4o']),
    row(null, 'chat', 'simple', ['ollama/qwen3:8b']),
    row(null, 'chat', 'complex', ['ollama/qwen3:8b', 'anthropic/claude-haiku-4-5']),
  ];

  it('is the first premium-tier candidate of the operation’s cells, complex first', async () => {
    const s = await service(global);
    expect(s.premiumCounterfactual('t1', 'analyze')).toBe('anthropic/claude-sonnet-4-5');
  });

  it('a tenant routing everything locally is still measured against the global policy’s premium candidate', async () => {
    const s = await service([...global, row('t1', 'analyze', 'complex', ['ollama/qwen3:8b']), row('t1', 'analyze', 'medium', ['ollama/qwen3:8b'])]);
    expect(s.premiumCounterfactual('t1', 'analyze')).toBe('anthropic/claude-sonnet-4-5');
    // a tenant's own premium choice wins
    const own = await service([...global, row('t1', 'analyze', 'complex', ['ollama/qwen3:8b', 'openai/gpt-4o'])]);
    expect(own.premiumCounterfactual('t1', 'analyze')).toBe('openai/gpt-4o');
  });

  it('without a premium candidate: the complex cell’s first cloud model; none at all: null (no saving claimed)', async () => {
    const s = await service(global);
    expect(s.premiumCounterfactual('t1', 'chat')).toBe('anthropic/claude-haiku-4-5');
    const local = await service([row(null, 'tag', 'complex', ['ollama/qwen3:8b'])]);
    expect(local.premiumCounterfactual('t1', 'tag')).toBeNull();
    expect(local.premiumCounterfactual('t1', 'unknown')).toBeNull();
  });

  it('SAVINGS_COUNTERFACTUAL_MODEL wins, per operation then for all; an id the catalog does not know is ignored', async () => {
    const s = await service(global, { default: 'openai/gpt-4o', byOperation: { chat: 'anthropic/claude-sonnet-4-5' } });
    expect(s.premiumCounterfactual('t1', 'analyze')).toBe('openai/gpt-4o');
    expect(s.premiumCounterfactual('t1', 'chat')).toBe('anthropic/claude-sonnet-4-5');
    const unknown = await service(global, { default: 'nope/model', byOperation: {} });
    expect(unknown.premiumCounterfactual('t1', 'analyze')).toBe('anthropic/claude-sonnet-4-5');
  });
});
