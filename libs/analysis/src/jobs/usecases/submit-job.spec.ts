import { BadRequestException } from '@nestjs/common';
import type { PlanLimits } from '@margin/contracts';
import { ConflictError, ManualClock, NotFoundError, type MemoryCompactor } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { EntityManager } from 'typeorm';
import type { AnalysisCacheService } from '../../cache/analysis-cache.service';
import type { ProfilesService } from '../../profiles/profiles.service';
import { QuotaExceededError, type QuotaService } from '../../quotas/quota.service';
import { bodyEvents, JOB, makeJobRow, makePrincipal, makeProfile, TENANT } from '../__tests__/job-fixtures';
import { InvalidItemsError } from '../item-input';
import { FEED_WINDOW, type JobFeeder } from '../job-feeder';
import type { JobEntity } from '../job.entity';
import { checkSubmitFields } from '../jobs.dto';
import { IdempotencyKeyTakenError, type JobsRepository, type NewItem, type NewJob } from '../jobs.repository';
import type { PriorityService } from '../priority.service';
import type { EstimateJob } from './estimate-job';
import { SubmitJob } from './submit-job';
import { NoItemsError } from './submission';
import { SubmissionReader } from './submission-reader';

const NOW = new Date('2026-11-20T08:00:00Z');
const LIMITS: PlanLimits = {
  plan: 'pro',
  maxJobsPerMonth: 100,
  maxItemsPerMonth: 10_000,
  maxItemsPerJob: 5000,
  allowedTiers: ['local', 'cheap'],
  fairShareWeight: 1,
  maxRunningItems: null,
};
const items = (n: number) => Array.from({ length: n }, (_, i) => ({ subject: `ticket ${i}` }));
const NEW_JOB_ID = '44444444-4444-4444-8444-444444444444';

/** The use case with its collaborators faked; `log` records the order of what reached the database and the queue. */
function setup(options: { earlier?: JobEntity | null; twin?: JobEntity | null; refuseQuota?: boolean; takenByTwin?: boolean; limits?: PlanLimits } = {}) {
  const limits = options.limits ?? LIMITS;
  const log: string[] = [];
  // only passed through: the use case hands the transaction's manager to the quota check and the inserts
  const manager = { name: 'transaction' } as unknown as EntityManager;
  const profile = makeProfile();
  const profiles = strictMock<ProfilesService>({
    resolve: async (_tenantId, key) => {
      if (key !== profile.key) throw new NotFoundError('Profile');
      return profile;
    },
  });
  // every chunk: one of its items in the tenant's own cache, all of them in the global one
  const cache = strictMock<AnalysisCacheService>({ countCached: async (_tenantId, _profile, hashes) => ({ global: hashes.length, tenant: 1 }) });
  const reader = new SubmissionReader(profiles, cache);
  const estimates = strictMock<EstimateJob>({ forProfile: async () => ({ costUsd: 0.5, seconds: 7, cacheHits: 1, steps: [] }) });
  const lookups = [options.earlier ?? null, options.twin ?? null];
  const repo = strictMock<JobsRepository>({
    findByIdempotencyKey: async () => lookups.shift() ?? null,
    transaction: async <T>(work: (m: EntityManager) => Promise<T>): Promise<T> => {
      log.push('begin');
      const result = await work(manager);
      if (options.takenByTwin) throw new IdempotencyKeyTakenError();
      log.push('commit');
      return result;
    },
    insertJob: async () => {
      log.push('insertJob');
      return NEW_JOB_ID;
    },
    insertItems: async (_m, _tenantId, _jobId, chunk: NewItem[], enqueueBelow = 0) => {
      log.push(`insertItems ${chunk.length}`);
      return chunk.filter((it) => it.index < enqueueBelow).map((it) => ({ id: `item-${it.index}`, attempts: 0 }));
    },
    insertJobWithItems: async (_job, all: NewItem[], enqueueBelow) => {
      log.push(`insertJobWithItems ${all.length}`);
      return { jobId: NEW_JOB_ID, firstWindow: all.filter((it) => it.index < enqueueBelow).map((it) => ({ id: `item-${it.index}`, attempts: 0 })) };
    },
  });
  const quotas = strictMock<QuotaService>({
    limitsFor: async () => limits,
    assertCanSubmit: async () => {
      log.push('quota');
      if (options.refuseQuota) throw new QuotaExceededError('month used', 60);
      return LIMITS;
    },
  });
  const priorities = strictMock<PriorityService>({ resolve: async (requested) => (requested && requested !== 'auto' ? requested : 'high') });
  const feeder = strictMock<JobFeeder>({
    handOver: async (_t, _j, _p, window) => {
      log.push('handOver');
      return window.length;
    },
  });
  // (a strict mock with nothing: a body this small never asks for a memory compaction)
  const submit = new SubmitJob(reader, estimates, repo, quotas, priorities, feeder, new ManualClock(NOW), strictMock<MemoryCompactor>({}, 'MemoryCompactor'));
  const send = (body: Record<string, unknown>, key?: string) =>
    submit.execute(makePrincipal(), { events: bodyEvents(body), checkFields: checkSubmitFields }, key);
  return { send, log, repo, quotas, feeder, estimates, cache, profile, manager };
}

/** The request hash a first submission stored with its job. */
async function storedHash(body: Record<string, unknown>, key: string): Promise<string> {
  const first = setup();
  await first.send(body, key);
  const job = first.repo.insertJob.mock.calls[0]?.[1] as NewJob;
  expect(job.requestHash).toMatch(/^[0-9a-f]{64}$/);
  return job.requestHash as string;
}

describe('SubmitJob › publish option', () => {
  it('is refused with a 400 naming publish on a profile other than blog-post, before anything is stored', async () => {
    const s = setup();
    const err = await s
      .send({ profile: 'ticket', items: items(2), publish: { endpointIds: ['55555555-5555-4555-8555-555555555555'] } })
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^publish is only for blog-post jobs/);
    expect((err as { httpStatus?: number }).httpStatus).toBe(400);
    expect(s.log).toEqual([]);
  });

  it('is validated as a shape at the door: endpointIds must be UUIDs', async () => {
    const s = setup();
    const err = await s.send({ profile: 'ticket', items: items(1), publish: { endpointIds: ['nope'] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestException);
    expect(JSON.stringify((err as BadRequestException).getResponse())).toContain('publish.each value in endpointIds must be a UUID');
  });
});

describe('SubmitJob › deadline and deferrable', () => {
  it('stores the deadline and deferrable the job was given', async () => {
    const s = setup();
    await s.send({ profile: 'ticket', items: items(1), deadline: '2026-11-22T00:00:00Z', deferrable: true });
    expect(s.repo.insertJob.mock.calls[0]?.[1] ?? s.repo.insertJobWithItems.mock.calls[0]?.[0]).toMatchObject({
      deadline: new Date('2026-11-22T00:00:00Z'),
      deferrable: true,
    });
  });

  it('refuses a deadline in the past with a 400 naming it, before anything is stored', async () => {
    const s = setup();
    const err = await s.send({ profile: 'ticket', items: items(1), deadline: '2026-11-20T07:59:59Z' }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('deadline must be in the future (got 2026-11-20T07:59:59Z)');
    expect((err as { httpStatus?: number }).httpStatus).toBe(400);
    expect(s.log).toEqual([]);
  });

  it('refuses a deadline that is not an ISO time, and a deferrable that is not a boolean', async () => {
    const s = setup();
    const err = await s.send({ profile: 'ticket', items: items(1), deadline: 'tomorrow', deferrable: 'sure' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestException);
    const body = JSON.stringify((err as BadRequestException).getResponse());
    expect(body).toContain('deadline must be a valid ISO 8601 date string');
    expect(body).toContain('deferrable must be a boolean value');
  });
});

describe('SubmitJob', () => {
  it('a plan without monthly limits and a body that fits one insert: the job and its items in one statement, no transaction, then the queue', async () => {
    const unlimited: PlanLimits = { ...LIMITS, plan: 'unlimited', maxJobsPerMonth: null, maxItemsPerMonth: null, maxItemsPerJob: 3 };
    const s = setup({ limits: unlimited });
    await s.send({ profile: 'ticket', name: 'tickets', items: items(3) });
    expect(s.log).toEqual(['insertJobWithItems 3', 'handOver']);
    const [job, stored, window] = s.repo.insertJobWithItems.mock.calls[0] ?? [];
    expect(job).toMatchObject({ tenantId: TENANT, profileKey: 'ticket', totalItems: 3, cacheScope: 'tenant', idempotencyKey: null });
    expect(stored?.map((it) => it.index)).toEqual([0, 1, 2]);
    expect(window).toBe(2000);
    // the plan's size limit still holds on this path (403, nothing stored)
    const over = setup({ limits: unlimited });
    await expect(over.send({ profile: 'ticket', items: items(4) })).rejects.toMatchObject({
      httpStatus: 403,
      message: expect.stringMatching(/at most 3 items per job/),
    });
    expect(over.log).toEqual([]);
  });

  it('writes the job and its items in one transaction, the quota checked inside it, and hands the first window over only once committed', async () => {
    const s = setup();
    const answer = await s.send({ profile: 'ticket', name: 'tickets', budgetUsd: 1.25, metadata: { team: 'a' }, items: items(2) });

    expect(s.log).toEqual(['begin', 'quota', 'insertJob', 'insertItems 2', 'commit', 'handOver']);
    expect(s.quotas.assertCanSubmit).toHaveBeenCalledWith(s.manager, TENANT, 'pro', 2, LIMITS);
    expect(s.repo.insertJob).toHaveBeenCalledWith(s.manager, {
      tenantId: TENANT,
      profileKey: 'ticket',
      profileVersion: 3,
      name: 'tickets',
      priority: 'high',
      budgetUsd: '1.250000000000',
      metadata: { team: 'a' },
      maxWaitSeconds: null,
      cacheScope: 'tenant',
      deadline: null,
      deferrable: null,
      publish: null,
      idempotencyKey: null,
      requestHash: null,
      createdByUserId: 'user-1',
      createdByApiKeyId: null,
      createdAt: NOW,
      totalItems: 2,
      origin: 'submit',
      stepModels: null,
    });
    expect(s.feeder.handOver).toHaveBeenCalledWith(TENANT, NEW_JOB_ID, 'high', [
      { id: 'item-0', attempts: 0 },
      { id: 'item-1', attempts: 0 },
    ]);
    // the estimate counts the hits of the scope the job uses (tenant), not those of the global cache
    expect(s.estimates.forProfile).toHaveBeenCalledWith(TENANT, s.profile, 2, 1, null);
    expect(answer).toEqual({
      created: true,
      response: { id: NEW_JOB_ID, status: 'queued', totalItems: 2, priority: 'high', estimate: { costUsd: 0.5, seconds: 7 } },
    });
  });

  it('inserts items a chunk at a time and hands the queue only the first window of them, in index order', async () => {
    const s = setup();
    await s.send({ profile: 'ticket', items: items(FEED_WINDOW + 500) });
    expect(s.log).toEqual(['begin', 'quota', 'insertJob', 'insertItems 1000', 'insertItems 1000', 'insertItems 500', 'commit', 'handOver']);
    expect(s.repo.insertItems.mock.calls.every((c) => c[4] === FEED_WINDOW)).toBe(true);
    const window = s.feeder.handOver.mock.calls[0]?.[3] ?? [];
    expect(window).toHaveLength(FEED_WINDOW);
    expect(window[0]).toEqual({ id: 'item-0', attempts: 0 });
    expect(window.at(-1)).toEqual({ id: `item-${FEED_WINDOW - 1}`, attempts: 0 });
    // three chunks counted against the cache, one tenant hit each
    expect(s.estimates.forProfile).toHaveBeenCalledWith(TENANT, s.profile, FEED_WINDOW + 500, 3, null);
  });

  it('a quota refused inside the transaction stores no job and hands nothing to the queue', async () => {
    const s = setup({ refuseQuota: true });
    await expect(s.send({ profile: 'ticket', items: items(2) })).rejects.toBeInstanceOf(QuotaExceededError);
    expect(s.log).toEqual(['begin', 'quota']);
    expect(s.repo.insertJob).not.toHaveBeenCalled();
    expect(s.feeder.handOver).not.toHaveBeenCalled();
  });

  describe('checks, in the order they always ran (fields, items present, profile, items valid), and nothing stored', () => {
    it.each<[string, Record<string, unknown>, (err: unknown) => void]>([
      [
        'a bad field before anything else (even an unknown profile and a bad item)',
        { profile: 'nope', priority: 'urgent', items: [{ subject: 1 }] },
        (err) => {
          expect(err).toBeInstanceOf(BadRequestException);
          expect(JSON.stringify((err as BadRequestException).getResponse())).toContain('priority');
        },
      ],
      ['no items (the profile is not even looked up)', { profile: 'nope', items: [] }, (err) => expect(err).toBeInstanceOf(NoItemsError)],
      ['an unknown profile before bad items', { profile: 'nope', items: [{ subject: 1 }] }, (err) => expect(err).toBeInstanceOf(NotFoundError)],
      [
        'a bad item, named by its index',
        { profile: 'ticket', items: [{ subject: 'fine' }, { subject: 42 }] },
        (err) => {
          expect(err).toBeInstanceOf(InvalidItemsError);
          expect((err as InvalidItemsError).details).toEqual([expect.stringContaining('items.1')]);
        },
      ],
      [
        'an item that is not an object',
        { profile: 'ticket', items: [{ subject: 'fine' }, 'text'] },
        (err) => {
          expect(err).toBeInstanceOf(BadRequestException);
          expect(JSON.stringify((err as BadRequestException).getResponse())).toContain('each value in items must be an object');
        },
      ],
    ])('%s', async (_name, body, check) => {
      const s = setup();
      check(await s.send(body).catch((e: unknown) => e));
      expect(s.repo.transaction).not.toHaveBeenCalled();
      expect(s.feeder.handOver).not.toHaveBeenCalled();
    });
  });

  describe('Idempotency-Key', () => {
    const body = { profile: 'ticket', name: 'import', items: items(3) };

    it('the same body again answers the job already stored (200), whatever its key order or profile spelling, and stores nothing', async () => {
      const hash = await storedHash(body, 'k-1');
      const s = setup({ earlier: makeJobRow({ requestHash: hash, status: 'running', totalItems: 3, priority: 'low' }) });
      const again = await s.send({ items: items(3), name: 'import', profile: 'ticket@3' }, 'k-1');
      expect(again).toEqual({
        created: false,
        response: { id: JOB, status: 'running', totalItems: 3, priority: 'low', estimate: { costUsd: 0.5, seconds: 7 } },
      });
      expect(s.repo.findByIdempotencyKey).toHaveBeenCalledWith(TENANT, 'k-1');
      expect(s.repo.transaction).not.toHaveBeenCalled();
      expect(s.feeder.handOver).not.toHaveBeenCalled();
    });

    it.each([
      ['another field', { ...body, name: 'other' }],
      ['one item fewer', { ...body, items: items(2) }],
      ['one item changed', { ...body, items: [...items(2), { subject: 'changed' }] }],
    ])('a different body under a used key is a 409 (%s)', async (_name, other) => {
      const hash = await storedHash(body, 'k-1');
      const s = setup({ earlier: makeJobRow({ requestHash: hash }) });
      await expect(s.send(other, 'k-1')).rejects.toBeInstanceOf(ConflictError);
      expect(s.repo.transaction).not.toHaveBeenCalled();
    });

    it('a twin that committed the same key first is answered as a replay (200), without handing anything over', async () => {
      const hash = await storedHash(body, 'k-2');
      const s = setup({ twin: makeJobRow({ requestHash: hash, totalItems: 3 }), takenByTwin: true });
      const answer = await s.send(body, 'k-2');
      expect(answer.created).toBe(false);
      expect(answer.response.id).toBe(JOB);
      expect(s.repo.findByIdempotencyKey).toHaveBeenCalledTimes(2);
      expect(s.feeder.handOver).not.toHaveBeenCalled();
    });

    it('a twin with the same key but another body is a 409', async () => {
      const s = setup({ twin: makeJobRow({ requestHash: 'f'.repeat(64) }), takenByTwin: true });
      await expect(s.send(body, 'k-3')).rejects.toBeInstanceOf(ConflictError);
      expect(s.feeder.handOver).not.toHaveBeenCalled();
    });
  });
});
