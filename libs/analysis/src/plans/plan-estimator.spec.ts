import { ManualClock } from '@margin/core';
import type { LedgerUsageStatsRepository } from '@margin/cost-tracking';
import type { CatalogService, RouterService } from '@margin/model-router';
import { strictMock } from '@margin/testing';
import type { JobsRepository } from '../jobs/jobs.repository';
import type { EstimateJob } from '../jobs/usecases/estimate-job';
import type { ProfileDefinition } from '../pipeline/pipeline.types';
import { PlanEstimator } from './plan-estimator';

const OBJ = { type: 'object' } as const;
const PROFILE: ProfileDefinition = {
  key: 'post',
  version: 1,
  name: 'Post',
  description: '',
  inputSchema: OBJ,
  outputSchema: OBJ,
  cacheScope: 'tenant',
  builtIn: false,
  tenantId: 't1',
  steps: [
    { name: 'outline', operation: 'outline', complexity: 'simple', prompt: 'x'.repeat(400), outputSchema: OBJ, maxTokens: 200 },
    { name: 'draft', operation: 'draft', complexity: 'medium', prompt: 'y', outputSchema: OBJ, maxTokens: 1000 },
    { name: 'fix', operation: 'refine', complexity: 'medium', prompt: 'z', outputSchema: OBJ, maxTokens: 1000 },
  ],
  qualityGate: { assessStep: 'draft', refineStep: 'fix', scoreField: 's', threshold: 80, maxRounds: 2 },
};

// $1 per million input tokens and $2 per million output tokens for the local model; ten times that in the cloud
const model = (id: string, tier: string, rpm: number | null) => ({ id, providerId: id.split('/')[0], tier, rpm });
const LOCAL = model('ollama/small', 'local', null);
const CLOUD = model('openai/big', 'cheap', 60);
const PRICE: Record<string, [bigint, bigint]> = { 'ollama/small': [1_000_000n, 2_000_000n], 'openai/big': [10_000_000n, 20_000_000n] };

function estimator(over: { openItems?: number; outputs?: Map<string, { operation: string; calls: number; p50: number; p95: number }> } = {}) {
  const router = strictMock<RouterService>({
    plan: async (ctx) =>
      ({
        candidates: (ctx.models ? [ctx.models[0] === CLOUD.id ? CLOUD : LOCAL] : [LOCAL, CLOUD]).map((m) => ({ model: m })),
        skipped: ctx.models ? [] : [{ model: 'anthropic/x', reason: 'tier', detail: '' }],
        abTest: null,
      }) as never,
  });
  const catalog = strictMock<CatalogService>({
    costOf: (id, usage) => {
      const [i, o] = PRICE[id] as [bigint, bigint];
      return { totalPico: BigInt(usage.inputTokens) * i + BigInt(usage.outputTokens) * o } as never;
    },
  });
  const stats = strictMock<LedgerUsageStatsRepository>({ outputTokens: async () => over.outputs ?? new Map(), latency: async () => new Map() });
  const jobs = strictMock<JobsRepository>({ openItemCount: async () => over.openItems ?? 0 });
  const estimates = strictMock<EstimateJob>({ parallelism: async () => 10 });
  return new PlanEstimator(router, catalog, stats, jobs, estimates, new ManualClock(new Date('2026-12-02T00:00:00Z')));
}

const base = { tenantId: 't1', profile: PROFILE, calls: 20, meanInputChars: 400, allowedTiers: ['local', 'cheap'] as never, stepModels: {} };

describe('PlanEstimator', () => {
  it('prices each step on the router’s first candidate with max_tokens/2 of output before there is history, the refine step only in the worst case', async () => {
    const e = await estimator().estimate(base);
    const [outline, draft, fix] = e.steps;
    // outline: (400 + 400) / 4 = 200 input tokens, 100 output tokens, 20 calls on the local model
    expect(outline).toMatchObject({ model: 'ollama/small', calls: 20, inputTokens: 200, outputTokens: 100, pinned: false });
    expect(outline?.costUsd).toBeCloseTo((20 * (200 * 1 + 100 * 2)) / 1e6, 12);
    expect(outline?.reason).toContain('skipped anthropic/x (tier)');
    expect(outline?.reason).toContain('no history yet');
    // draft reads the outline's output too
    expect(draft).toMatchObject({ inputTokens: Math.ceil(401 / 4) + 100, outputTokens: 500 });
    // the gate's refine step: nothing expected, every round (2) at max_tokens in the worst case
    expect(fix).toMatchObject({ calls: 0, costUsd: 0 });
    expect(fix?.worstCaseUsd).toBeGreaterThan(0);
    expect(e.worstPico).toBeGreaterThan(e.costPico);
  });

  it('learns output lengths per operation from the ledger: the median expected, the 95th percentile for the worst case', async () => {
    const outputs = new Map([['draft', { operation: 'draft', calls: 40, p50: 120, p95: 380 }]]);
    const e = await estimator({ outputs }).estimate(base);
    const draft = e.steps[1];
    expect(draft?.outputTokens).toBe(120);
    expect(draft?.reason).toContain('output ~120 tokens (p95 380) from 40 recent calls');
    const inTok = draft?.inputTokens ?? 0;
    expect(draft?.worstCaseUsd).toBeCloseTo((20 * (inTok * 1 + 380 * 2)) / 1e6, 12);
  });

  it('runs pinned steps on their model, offers the cheapest candidate per step, and bounds the time by the queue ahead and the rate limit', async () => {
    const pinned = await estimator({ openItems: 30 }).estimate({ ...base, calls: 120, stepModels: { draft: CLOUD.id } });
    expect(pinned.steps[1]).toMatchObject({ model: CLOUD.id, pinned: true, reason: expect.stringContaining('chosen by hand') });
    expect(pinned.cheapest.map((c) => c.model)).toEqual([LOCAL.id, LOCAL.id]);
    const free = await estimator().estimate({ ...base, calls: 120 });
    expect(free.costPico).toBeLessThan(pinned.costPico);
    // 120 calls at 60 a minute take at least 120 s, whatever the workers could do
    expect(pinned.seconds).toBeGreaterThanOrEqual(120);
    // what the tenant has queued (30 items ÷ 10 at once) runs first
    const queued = await estimator({ openItems: 30 }).estimate(base);
    const idle = await estimator().estimate(base);
    expect(queued.seconds).toBeGreaterThan(idle.seconds);
  });
});
