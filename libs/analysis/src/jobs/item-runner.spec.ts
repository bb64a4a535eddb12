import type { JobStatus } from '@margin/contracts';
import { BudgetExceededError, type LedgerService } from '@margin/cost-tracking';
import { ManualClock, type AppConfig } from '@margin/core';
import type { TenantRepository } from '@margin/identity';
import { DeferredToBatchError, ProvidersUnavailableError } from '@margin/model-router';
import { strictMock } from '@margin/testing';
import type { AnalysisCacheService, CachedAnalysis } from '../cache/analysis-cache.service';
import type { JobSettingsService } from '../job-settings/job-settings.service';
import { PipelineOutputError } from '../pipeline/pipeline.errors';
import type { PipelineRunner } from '../pipeline/pipeline-runner';
import type { ItemStepCheckpoints } from '../pipeline/step-checkpoints';
import type { PipelineContext, PipelineResult } from '../pipeline/pipeline.types';
import type { ProfilesService } from '../profiles/profiles.service';
import type { ProgressPublisher } from '../progress/progress.publisher';
import type { QuotaService } from '../quotas/quota.service';
import { ITEM, JOB, makeJobRow, makeProfile, TENANT } from './__tests__/job-fixtures';
import { ItemRunner, type Delivery } from './item-runner';
import type { JobFeeder } from './job-feeder';
import type { ClaimedItem, ItemOutcome, JobsRepository } from './jobs.repository';
import type { OutageRequeue } from './outage-wait';

const NOW = new Date('2026-11-20T08:00:00Z');
const PAYLOAD = { tenantId: TENANT, jobId: JOB, itemId: ITEM };
const FIRST: Delivery = { attemptsMade: 0, maxAttempts: 3 };
const COST = 1_234_567n; // $0.000001234567

const claim = (
  over: { job?: Partial<ClaimedItem['job']>; item?: ClaimedItem['item']; run?: Partial<NonNullable<ClaimedItem['run']>> | null } = {},
): ClaimedItem => ({
  job: {
    status: 'running',
    priority: 'medium',
    profileKey: 'ticket',
    profileVersion: 3,
    budgetUsd: null,
    createdByUserId: 'user-1',
    createdByApiKeyId: null,
    maxWaitSeconds: null,
    cacheScope: 'tenant',
    stepModels: null,
    deadline: null,
    deferrable: false,
    ...over.job,
  },
  item: over.item === undefined ? { index: 4, status: 'running' } : over.item,
  run: over.run === null ? null : { input: { subject: 'printer on fire' }, inputHash: 'h1', attempts: 1, waits: 0, waitingSince: null, ...over.run },
});

const answer = (over: Partial<PipelineResult> = {}): PipelineResult => ({
  output: { label: 'hardware' },
  costPico: COST,
  counterfactualPico: COST,
  savedPico: 0n,
  model: 'pa/a',
  provider: 'pa',
  quality: null,
  steps: [],
  emulated: false,
  settled: Promise.resolve(),
  ...over,
});

interface Options {
  claimed?: ClaimedItem | null;
  /** What the cache holds for the item (null: a miss, the pipeline runs). */
  cached?: CachedAnalysis | null;
  pipeline?: (ctx: PipelineContext) => Promise<PipelineResult>;
  jobStatus?: JobStatus;
  finished?: Partial<ItemOutcome>;
  /** The tenant's default for jobs that do not say. */
  tenantDeferrable?: boolean;
}

function setup(o: Options = {}) {
  const claimed = o.claimed === undefined ? claim() : o.claimed;
  /** What an outage wait did, in order. */
  const order: string[] = [];
  const repo = strictMock<JobsRepository>({
    claimItem: async () => claimed,
    isTerminal: (status) => ['completed', 'failed', 'cancelled'].includes(status),
    finishItem: async () => ({ changed: true, job: makeJobRow({ status: 'running', totalItems: 10, completedItems: 5 }), finished: false, ...o.finished }),
    findJob: async () => makeJobRow({ status: 'running' }),
    jobStatus: async () => o.jobStatus ?? 'running',
    markWaiting: async () => {
      order.push('markWaiting');
      return 1;
    },
  });
  const profile = makeProfile();
  const cache = strictMock<AnalysisCacheService>({
    getOrCompute: async (_key, compute) => (o.cached ? { value: o.cached, fromCache: true } : { value: await compute(), fromCache: false }),
  });
  const pipeline = strictMock<PipelineRunner>({ run: async (_profile, _input, ctx) => (o.pipeline ? o.pipeline(ctx) : answer()) });
  const tenants = strictMock<TenantRepository>({ findById: async () => ({ plan: 'pro' }) as Awaited<ReturnType<TenantRepository['findById']>> });
  const quotas = strictMock<QuotaService>({ limits: async () => ({ allowedTiers: ['local', 'cheap'] }) as Awaited<ReturnType<QuotaService['limits']>> });
  const ledger = strictMock<LedgerService>({ recordSaving: async () => undefined });
  const progress = strictMock<ProgressPublisher>({
    itemCompleted: async () => undefined,
    jobProgress: async () => undefined,
    jobCompleted: async () => undefined,
  });
  const feeder = strictMock<JobFeeder>({ feed: async () => 1 });
  const settings = strictMock<JobSettingsService>({ patienceSeconds: async () => 600, deferrable: async () => o.tenantDeferrable ?? false });
  const requeue = strictMock<OutageRequeue>({ putBack: async () => void order.push('putBack') });
  const checkpoints = strictMock<ItemStepCheckpoints>({
    forItem: () => ({ load: async () => new Map(), save: async () => undefined }),
    clear: async () => undefined,
  });
  const clock = new ManualClock(NOW);
  const runner = new ItemRunner(
    repo,
    strictMock<ProfilesService>({ resolve: async () => profile }),
    cache,
    pipeline,
    quotas,
    tenants,
    ledger,
    progress,
    feeder,
    settings,
    requeue,
    checkpoints,
    clock,
    { workerConcurrency: 1 } as AppConfig,
  );
  return { runner, repo, cache, pipeline, tenants, ledger, progress, feeder, requeue, order, profile };
}

describe('ItemRunner', () => {
  describe('cache', () => {
    it('a hit completes the item at $0 without running the pipeline, and books what it saved (the counterfactual) once per item', async () => {
      const s = setup({
        cached: { output: { label: 'cached' }, quality: 0.9, model: 'pb/b', provider: 'pb', originalCostPico: 1n, counterfactualCostPico: COST },
      });
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.cache.getOrCompute).toHaveBeenCalledWith(
        { profileKey: 'ticket', profileVersion: 3, scope: `tenant:${TENANT}`, inputHash: 'h1' },
        expect.any(Function),
        undefined,
        { lockWithLookup: true },
      );
      expect(s.pipeline.run).not.toHaveBeenCalled();
      expect(s.ledger.recordSaving).toHaveBeenCalledWith({ key: `cache:${ITEM}`, tenantId: TENANT, jobId: JOB, itemId: ITEM, amountPico: COST, at: NOW });
      expect(s.repo.finishItem).toHaveBeenCalledWith(TENANT, JOB, ITEM, {
        status: 'completed',
        result: { label: 'cached' },
        cached: true,
        costUsd: '0',
        savedUsd: '0.000001234567',
        model: 'pb/b',
        at: NOW,
      });
      expect(s.progress.itemCompleted).toHaveBeenCalledWith(TENANT, { jobId: JOB, itemId: ITEM, index: 4, status: 'completed', cached: true, costUsd: 0 });
    });

    it('a hit on a result a local model produced for $0 saves what the premium counterfactual would have cost', async () => {
      const s = setup({ cached: { output: {}, quality: null, model: 'ollama/q', provider: 'ollama', originalCostPico: 0n, counterfactualCostPico: 777n } });
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.ledger.recordSaving).toHaveBeenCalledWith({ key: `cache:${ITEM}`, tenantId: TENANT, jobId: JOB, itemId: ITEM, amountPico: 777n, at: NOW });
      expect(s.repo.finishItem).toHaveBeenCalledWith(TENANT, JOB, ITEM, expect.objectContaining({ cached: true, costUsd: '0', savedUsd: '0.000000000777' }));
    });

    it('a hit on a result with no counterfactual (nothing to compare with, $0) books no saving', async () => {
      const s = setup({ cached: { output: {}, quality: null, model: 'ollama/q', provider: 'ollama', originalCostPico: 0n, counterfactualCostPico: 0n } });
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.ledger.recordSaving).not.toHaveBeenCalled();
    });

    it('a miss routed to a cheaper model counts what routing saved on the item (booked with its calls, not as a cache saving)', async () => {
      const s = setup({ pipeline: async () => answer({ costPico: 0n, counterfactualPico: 5_000n, savedPico: 5_000n }) });
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.ledger.recordSaving).not.toHaveBeenCalled();
      expect(s.repo.finishItem).toHaveBeenCalledWith(
        TENANT,
        JOB,
        ITEM,
        expect.objectContaining({ cached: false, costUsd: '0.000000000000', savedUsd: '0.000000005000' }),
      );
    });

    it('a miss runs the pipeline with the job’s budget, the plan’s tiers and a per-delivery attempt key, and charges its exact cost', async () => {
      const s = setup({ claimed: claim({ job: { budgetUsd: '2.5' } }) });
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.pipeline.run).toHaveBeenCalledWith(
        s.profile,
        { subject: 'printer on fire' },
        {
          tenantId: TENANT,
          jobId: JOB,
          itemId: ITEM,
          userId: 'user-1',
          apiKeyId: null,
          jobBudgetPico: 2_500_000_000_000n,
          attemptKey: `${ITEM}:0`,
          allowedTiers: ['local', 'cheap'],
          settleInBackground: true,
        },
      );
      expect(s.ledger.recordSaving).not.toHaveBeenCalled();
      expect(s.repo.finishItem).toHaveBeenCalledWith(TENANT, JOB, ITEM, {
        status: 'completed',
        result: { label: 'hardware' },
        cached: false,
        costUsd: '0.000001234567',
        savedUsd: '0.000000000000',
        model: 'pa/a',
        at: NOW,
      });
      expect(s.progress.itemCompleted).toHaveBeenCalledWith(TENANT, expect.objectContaining({ cached: false, costUsd: 0.000001 }));
      expect(s.feeder.feed).toHaveBeenCalledWith(TENANT, JOB, 'medium');
    });

    it('a call that could not be booked fails the attempt: the item is not counted', async () => {
      const unbooked = Promise.reject(new Error('ledger down'));
      unbooked.catch(() => undefined);
      const s = setup({ pipeline: async () => answer({ settled: unbooked }) });
      await expect(s.runner.run(PAYLOAD, FIRST)).rejects.toThrow('ledger down');
      expect(s.repo.finishItem).not.toHaveBeenCalled();
    });
  });

  describe('cancelled while waiting for a model slot', () => {
    /** Runs the item while another holds the only slot, so that it waits; the pipeline sends its call only past beforeDispatch. */
    async function waitingRun(jobStatus: JobStatus) {
      let sent = false;
      const s = setup({
        jobStatus,
        pipeline: async (ctx) => {
          await ctx.beforeDispatch?.();
          sent = true;
          return answer();
        },
      });
      const other = await s.runner.slots.acquire(0, 'other-tenant');
      const running = s.runner.run(PAYLOAD, FIRST);
      await new Promise((r) => setImmediate(r));
      expect(s.pipeline.run).not.toHaveBeenCalled(); // still waiting for the slot
      other.release();
      await running;
      return { ...s, sent: () => sent };
    }

    it('the job cancelled meanwhile: no call is sent, nothing charged, the item ends cancelled', async () => {
      const s = await waitingRun('cancelled');
      expect(s.repo.jobStatus).toHaveBeenCalledWith(TENANT, JOB);
      expect(s.sent()).toBe(false);
      expect(s.repo.finishItem).toHaveBeenCalledWith(TENANT, JOB, ITEM, { status: 'cancelled', at: NOW });
      expect(s.progress.itemCompleted).toHaveBeenCalledWith(TENANT, expect.objectContaining({ status: 'cancelled', costUsd: 0 }));
    });

    it('the job still wanted: the call goes out once the slot is free', async () => {
      const s = await waitingRun('running');
      expect(s.sent()).toBe(true);
      expect(s.repo.finishItem).toHaveBeenCalledWith(TENANT, JOB, ITEM, expect.objectContaining({ status: 'completed', costUsd: '0.000001234567' }));
    });

    it('an item that did not wait does not look at the job again', async () => {
      const s = setup();
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.repo.jobStatus).not.toHaveBeenCalled();
      expect(s.pipeline.run.mock.calls[0]?.[2].beforeDispatch).toBeUndefined();
    });
  });

  describe('no provider can take the call', () => {
    const outage = () => new ProvidersUnavailableError('analyze', 'pa/a: circuit open', 20_000, new Date(NOW.getTime() + 20_000), []);

    it('waits: queued again for when the provider may be back, the attempt given back, before it is marked waiting', async () => {
      const s = setup({
        claimed: claim({ run: { attempts: 2, waits: 1 } }),
        pipeline: async () => {
          throw outage();
        },
      });
      await s.runner.run({ ...PAYLOAD, spentAttempts: 1 }, { attemptsMade: 1, maxAttempts: 3 });
      expect(s.requeue.putBack).toHaveBeenCalledWith(TENANT, JOB, 'medium', { id: ITEM, attempts: 2, waits: 2, spentAttempts: 2 }, 20_000);
      expect(s.repo.markWaiting).toHaveBeenCalledWith(TENANT, JOB, ITEM, { at: NOW, until: new Date(NOW.getTime() + 20_000), reason: 'pa/a: circuit open' });
      expect(s.order).toEqual(['putBack', 'markWaiting']);
      expect(s.repo.finishItem).not.toHaveBeenCalled();
      expect(s.progress.jobProgress).toHaveBeenCalledWith(TENANT, JOB, expect.any(Function));
    });

    it('past the job’s patience it fails, saying why, and is not queued again', async () => {
      const s = setup({
        claimed: claim({ run: { waitingSince: new Date(NOW.getTime() - 601_000) } }),
        pipeline: async () => {
          throw outage();
        },
      });
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.requeue.putBack).not.toHaveBeenCalled();
      expect(s.repo.finishItem).toHaveBeenCalledWith(TENANT, JOB, ITEM, {
        status: 'failed',
        error: expect.stringContaining('Gave up after waiting 10 min'),
        at: NOW,
      });
    });
  });

  describe('attempts', () => {
    const failing = (err: Error) =>
      setup({
        pipeline: async () => {
          throw err;
        },
      });

    it('a failure with attempts left goes back to the queue (rethrown) and is not counted', async () => {
      const s = failing(new Error('provider 500'));
      await expect(s.runner.run(PAYLOAD, { attemptsMade: 1, maxAttempts: 3 })).rejects.toThrow('provider 500');
      expect(s.repo.finishItem).not.toHaveBeenCalled();
    });

    it('the last attempt fails the item with the error', async () => {
      const s = failing(new Error('provider 500'));
      await s.runner.run(PAYLOAD, { attemptsMade: 2, maxAttempts: 3 });
      expect(s.repo.finishItem).toHaveBeenCalledWith(TENANT, JOB, ITEM, { status: 'failed', error: 'provider 500', at: NOW });
    });

    it('attempts spent before its waits count: a first delivery after two failed attempts is the last', async () => {
      const s = failing(new Error('provider 500'));
      await s.runner.run({ ...PAYLOAD, spentAttempts: 2 }, FIRST);
      expect(s.repo.finishItem).toHaveBeenCalledWith(TENANT, JOB, ITEM, expect.objectContaining({ status: 'failed' }));
    });

    it.each([
      ['a budget refusal', new BudgetExceededError('job budget', 'The job budget is exhausted')],
      ['an output the profile rejects', new PipelineOutputError('ticket', ['/label is required'])],
    ])('%s fails at once: another attempt cannot fix it', async (_name, err) => {
      const s = failing(err);
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.repo.finishItem).toHaveBeenCalledWith(TENANT, JOB, ITEM, expect.objectContaining({ status: 'failed', error: err.message }));
    });

    it('after a wait, its calls get attempt ids of their own (the new queue entry counts deliveries from 0 again)', async () => {
      const s = setup({ claimed: claim({ run: { waits: 2 } }) });
      await s.runner.run(PAYLOAD, { attemptsMade: 1, maxAttempts: 3 });
      expect(s.pipeline.run.mock.calls[0]?.[2].attemptKey).toBe(`${ITEM}:w2.1`);
    });
  });

  describe('claiming', () => {
    it.each<[string, ClaimedItem | null]>([
      ['the job is gone', null],
      ['the item is final already (a replayed delivery)', claim({ item: { index: 4, status: 'completed' } })],
      ['the item is not there', claim({ item: null })],
    ])('does nothing when %s', async (_name, claimed) => {
      const s = setup({ claimed });
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.repo.finishItem).not.toHaveBeenCalled();
      expect(s.pipeline.run).not.toHaveBeenCalled();
    });

    it('an item of a cancelled job ends cancelled without running', async () => {
      const s = setup({ claimed: claim({ job: { status: 'cancelled' }, run: null }) });
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.repo.finishItem).toHaveBeenCalledWith(TENANT, JOB, ITEM, { status: 'cancelled', at: NOW });
      expect(s.cache.getOrCompute).not.toHaveBeenCalled();
    });

    it('a payload that is not an item’s is refused before anything is read', async () => {
      const s = setup();
      await expect(s.runner.run({ ...PAYLOAD, itemId: 'not-a-uuid' }, FIRST)).rejects.toThrow();
      expect(s.repo.claimItem).not.toHaveBeenCalled();
    });

    it('the job’s last item reports the job complete and feeds nothing more', async () => {
      const s = setup({ finished: { finished: true, job: makeJobRow({ status: 'completed', totalItems: 1, completedItems: 1 }) } });
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.progress.jobCompleted).toHaveBeenCalledWith(TENANT, expect.objectContaining({ status: 'completed', percentage: 100 }));
      expect(s.feeder.feed).not.toHaveBeenCalled();
    });

    it('reads the plan’s tiers once per tenant, not per item', async () => {
      const s = setup();
      await s.runner.run(PAYLOAD, FIRST);
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.tenants.findById).toHaveBeenCalledTimes(1);
    });
  });

  describe('batch tier', () => {
    const deferred = () => new DeferredToBatchError('req-1', 'openai/gpt-4o-mini', 'submitted', 4_000, new Date(NOW.getTime() + 4_000));

    it.each([
      ['its own deadline', { deadline: new Date('2026-11-22T00:00:00Z'), deferrable: null }, false, { deadline: new Date('2026-11-22T00:00:00Z') }],
      ['deferrable, no deadline', { deadline: null, deferrable: true }, false, { deadline: null }],
      ['its tenant’s default', { deadline: null, deferrable: null }, true, { deadline: null }],
      ['a job that said no, whatever the tenant', { deadline: null, deferrable: false }, true, undefined],
    ] as const)('hands the pipeline the batch tier of %s', async (_name, job, tenantDeferrable, expected) => {
      const s = setup({ claimed: claim({ job: { ...job } }), tenantDeferrable });
      await s.runner.run(PAYLOAD, FIRST);
      const ctx = (s.pipeline.run as jest.Mock).mock.calls[0][2] as PipelineContext;
      expect(ctx.batch).toEqual(expected);
    });

    it('a call waiting in a batch parks the item: queued again for the next look, its attempt given back, the job says why', async () => {
      const s = setup({
        claimed: claim({ job: { deferrable: true }, run: { attempts: 1, waits: 2 } }),
        pipeline: async () => {
          throw deferred();
        },
      });
      await s.runner.run(PAYLOAD, FIRST);
      expect(s.requeue.putBack).toHaveBeenCalledWith(TENANT, JOB, 'medium', { id: ITEM, attempts: 1, waits: 3, spentAttempts: 0 }, 4_000);
      expect(s.repo.markWaiting).toHaveBeenCalledWith(TENANT, JOB, ITEM, {
        at: NOW,
        until: new Date(NOW.getTime() + 4_000),
        reason: 'in the batch tier of openai/gpt-4o-mini (submitted)',
      });
      expect(s.order).toEqual(['putBack', 'markWaiting']);
      expect(s.repo.finishItem).not.toHaveBeenCalled();
    });
  });
});
