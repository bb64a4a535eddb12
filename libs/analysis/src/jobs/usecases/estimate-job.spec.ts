import type { PlanLimits } from '@margin/contracts';
import { ManualClock, type AppConfig, type MemoryCompactor } from '@margin/core';
import type { CatalogService, RoutePlan, RouterService } from '@margin/model-router';
import { strictMock } from '@margin/testing';
import type { AnalysisCacheService } from '../../cache/analysis-cache.service';
import type { ProfileDefinition, ProfileStep } from '../../pipeline/pipeline.types';
import type { ProfilesService } from '../../profiles/profiles.service';
import type { QuotaService } from '../../quotas/quota.service';
import { bodyEvents, makePrincipal, makeProfile, TENANT } from '../__tests__/job-fixtures';
import type { JobFeeder } from '../job-feeder';
import { checkSubmitFields } from '../jobs.dto';
import { EstimateJob } from './estimate-job';
import { SubmissionReader } from './submission-reader';

const NOW = new Date('2026-11-20T08:00:00Z');
const LIMITS: PlanLimits = {
  plan: 'pro',
  maxJobsPerMonth: null,
  maxItemsPerMonth: null,
  maxItemsPerJob: null,
  allowedTiers: ['local', 'cheap'],
  fairShareWeight: 1,
  maxRunningItems: null,
};

/** USD per million tokens, per model. */
const PRICES: Record<string, { inputUsdPerMTok: string; cachedInputUsdPerMTok: string; outputUsdPerMTok: string }> = {
  'pa/a': { inputUsdPerMTok: '1', cachedInputUsdPerMTok: '0.5', outputUsdPerMTok: '2' },
  'pb/b': { inputUsdPerMTok: '0.5', cachedInputUsdPerMTok: '0.25', outputUsdPerMTok: '1.5' },
  'pd/tiny': { inputUsdPerMTok: '0.15', cachedInputUsdPerMTok: '0.15', outputUsdPerMTok: '0.15' },
};

const step = (name: string, operation: string, over: Partial<ProfileStep> = {}): ProfileStep => ({
  name,
  operation,
  complexity: 'simple',
  prompt: 'x'.repeat(400),
  outputSchema: { type: 'object' },
  ...over,
});

/** Two steps priced, and a refine step the quality gate runs only when it asks (not estimated). */
const PROFILE = makeProfile({
  steps: [step('classify', 'analyze', { maxTokens: 200 }), step('reply', 'draft'), step('polish', 'refine', { maxTokens: 4000 })],
  qualityGate: { assessStep: 'classify', refineStep: 'polish', scoreField: 'score', threshold: 0.5, maxRounds: 1 },
});

function setup(options: { models?: Record<string, string | null>; slots?: () => Promise<number>; profile?: ProfileDefinition } = {}) {
  const models = options.models ?? { analyze: 'pa/a', draft: 'pb/b' };
  const router = strictMock<RouterService>({
    plan: async (ctx) => {
      const id = models[ctx.operation] ?? null;
      // the estimate reads only the chosen model's id and provider
      const candidates = id ? [{ model: { id, providerId: id.split('/')[0] } }] : [];
      return { candidates, skipped: [], abTest: null } as unknown as RoutePlan;
    },
  });
  const catalog = strictMock<CatalogService>({ priceAt: (id) => PRICES[id] as ReturnType<CatalogService['priceAt']> });
  const quotas = strictMock<QuotaService>({ limitsFor: async () => LIMITS });
  // two workers of 2 slots each unless the test says otherwise
  const feeder = strictMock<JobFeeder>({ slots: jest.fn(options.slots ?? (async () => 4)) });
  const profiles = strictMock<ProfilesService>({ resolve: async () => options.profile ?? PROFILE });
  const cache = strictMock<AnalysisCacheService>({ countCached: async () => ({ global: 2, tenant: 1 }) });
  const estimate = new EstimateJob(
    new SubmissionReader(profiles, cache),
    quotas,
    router,
    catalog,
    new ManualClock(NOW),
    { workerConcurrency: 2 } as AppConfig,
    feeder,
    strictMock<MemoryCompactor>({}, 'MemoryCompactor'),
  );
  return { estimate, router, feeder };
}

describe('EstimateJob', () => {
  afterEach(() => jest.useRealTimers());

  it('prices each step at the model the router would choose, for the items the cache does not have, exactly', async () => {
    const { estimate, router } = setup();
    const result = await estimate.forProfile(TENANT, PROFILE, 10, 4, 400);
    // classify: (400 + 400) / 4 = 200 input tokens at $1/M, 200 / 2 = 100 output at $2/M → $0.0004 a call
    // reply: 200 + classify's 100 = 300 input at $0.5/M, 1024 / 2 = 512 output at $1.5/M → $0.000918 a call
    expect(result.steps).toEqual([
      { operation: 'analyze', provider: 'pa', model: 'pa/a', calls: 6, costUsd: 0.0024 },
      { operation: 'draft', provider: 'pb', model: 'pb/b', calls: 6, costUsd: 0.005508 },
    ]);
    expect(result.costUsd).toBe(0.007908);
    expect(result.cacheHits).toBe(4);
    expect(router.plan).toHaveBeenCalledWith({
      tenantId: TENANT,
      operation: 'analyze',
      complexity: 'simple',
      inputTokens: 200,
      maxTokens: 200,
      budgetRemainingPico: null,
      allowedTiers: LIMITS.allowedTiers,
    });
    expect(router.plan).toHaveBeenCalledWith(expect.objectContaining({ operation: 'draft', inputTokens: 300, maxTokens: 1024 }));
    expect(router.plan).toHaveBeenCalledTimes(2);
    // 6 calls over 2 workers × 2 slots → 2 rounds of (100/50 + 0.3) + (512/50 + 0.3) = 12.84 s → 25.68 → 26
    expect(result.seconds).toBe(26);
  });

  it('multiplies and sums in pico-dollars and rounds once at the end: calls cheaper than the 6 decimals shown still add up', async () => {
    const { estimate } = setup({ models: { analyze: 'pd/tiny' } });
    const tiny = makeProfile({ steps: [step('a', 'analyze', { prompt: '', maxTokens: 2 })] });
    // 0 input tokens and 1 output token at $0.15/M: $0.00000015 a call (0 when shown), 10 calls $0.0000015 → 0.000002
    const result = await estimate.forProfile(TENANT, tiny, 10, 0, 0);
    expect(result.costUsd).toBe(0.000002);
    expect(result.steps[0]?.costUsd).toBe(0.000002);
  });

  it('a step no model can take costs nothing and names no model; a model without a price costs nothing', async () => {
    const { estimate } = setup({ models: { analyze: null, draft: 'pc/unpriced' } });
    const result = await estimate.forProfile(TENANT, PROFILE, 2, 0, 10);
    expect(result.steps).toEqual([
      { operation: 'analyze', provider: null, model: null, calls: 2, costUsd: 0 },
      { operation: 'draft', provider: 'pc', model: 'pc/unpriced', calls: 2, costUsd: 0 },
    ]);
    expect(result.costUsd).toBe(0);
  });

  it('every item in the cache: no calls, no cost, no time', async () => {
    const { estimate } = setup();
    expect(await estimate.forProfile(TENANT, PROFILE, 5, 5, 400)).toMatchObject({ costUsd: 0, seconds: 0, cacheHits: 5 });
  });

  it('runs as many items at once as the live workers have slots, and assumes one worker when none is up or they cannot be read', async () => {
    // 6 calls over 4 slots → 2 rounds
    expect((await setup().estimate.forProfile(TENANT, PROFILE, 6, 0, 400)).seconds).toBe(Math.ceil(2 * 12.84));
    // 6 calls over 1 worker × 2 slots → 3 rounds
    for (const slots of [async () => 0, async () => Promise.reject(new Error('redis down'))]) {
      expect((await setup({ slots }).estimate.forProfile(TENANT, PROFILE, 6, 0, 400)).seconds).toBe(Math.ceil(3 * 12.84));
    }
  });

  it('estimates a submitted body: the mean size of its items and the hits of the cache scope the job would use', async () => {
    const { estimate, router } = setup({ profile: makeProfile({ steps: [step('a', 'analyze', { prompt: 'x'.repeat(399), maxTokens: 100 })] }) });
    // {"subject":"ab"} is 16 characters, {"subject":"abcd"} 18: 17 on average, (17 + 399) / 4 = 104 tokens
    const result = await estimate.execute(makePrincipal(), {
      events: bodyEvents({ profile: 'ticket', items: [{ subject: 'ab' }, { subject: 'abcd' }] }),
      checkFields: checkSubmitFields,
    });
    expect(router.plan).toHaveBeenCalledWith(expect.objectContaining({ inputTokens: 104 }));
    // the profile keeps its cache per tenant: the tenant scope's one hit counts, not the global scope's two
    expect(result.cacheHits).toBe(1);
    expect(result.steps[0]?.calls).toBe(1);
  });
});
