import { Injectable, Logger, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { JobSubmitResponse, PlanLimits, Priority } from '@margin/contracts';
import { Clock, ConflictError, DomainError, MemoryCompactor, picoToDecimal, usdToPico } from '@margin/core';
import type { Principal } from '@margin/identity';
import type { EntityManager } from 'typeorm';
import { assertJobSize, countsMonthly, QuotaService } from '../../quotas/quota.service';
import { ItemSpool } from '../item-spool';
import { FEED_WINDOW, JobFeeder } from '../job-feeder';
import type { JobEntity } from '../job.entity';
import { IdempotencyKeyTakenError, JobsRepository, type JobOrigin, type NewItem, type NewJob } from '../jobs.repository';
import { PriorityService } from '../priority.service';
import { JobPublishCheck, PUBLISHABLE_PROFILE } from '../job-hooks';
import { EstimateJob } from './estimate-job';
import type { SubmitSource } from './submission';
import { ITEM_CHUNK, SubmissionReader, type ReadSubmission } from './submission-reader';

/** What the answer to a submission tells of its job (a new one, or the one an Idempotency-Key replays). */
type SubmittedJob = Pick<JobEntity, 'id' | 'status' | 'totalItems' | 'priority'>;

export interface SubmitResult {
  /** false: an Idempotency-Key replayed a job submitted before (200 instead of 202). */
  created: boolean;
  response: JobSubmitResponse;
}

/** A checked submission about to be stored. */
interface Accepted {
  principal: Principal;
  read: ReadSubmission;
  limits: PlanLimits;
  priority: Priority;
  idempotencyKey: string | null;
  requestHash: string | null;
  origin: JobOrigin;
  stepModels: Record<string, string> | null;
}

/** A new job, committed: its answer, and the first window of items for the queue. */
interface Stored {
  job: SubmittedJob;
  firstWindow: Array<{ id: string; attempts: number }>;
}

export class PublishOptionRefusedError extends DomainError {
  readonly code = 'invalid_publish_option';
  readonly httpStatus = 400;
}

/** A job's `deadline` already passed when it was submitted. */
export class DeadlinePassedError extends DomainError {
  readonly code = 'deadline_passed';
  readonly httpStatus = 400;
  constructor(deadline: string) {
    super(`deadline must be in the future (got ${deadline})`);
  }
}

/**
 * Accepts a job in two phases. While the body arrives, items are validated, hashed and counted against the
 * cache a chunk at a time and held in a spool (memory, or a temporary file past a budget): no database
 * connection or transaction waits on the client. Once the body is in and every check passed, the job and
 * its items are written in one short transaction (multi-row inserts), so any invalid item, an exceeded
 * quota or a failure anywhere stores nothing.
 */
@Injectable()
export class SubmitJob {
  private readonly logger = new Logger(SubmitJob.name);

  constructor(
    private readonly reader: SubmissionReader,
    private readonly estimates: EstimateJob,
    private readonly repo: JobsRepository,
    private readonly quotas: QuotaService,
    private readonly priorities: PriorityService,
    private readonly feeder: JobFeeder,
    private readonly clock: Clock,
    private readonly memory: MemoryCompactor,
    // publishing checks a job's `publish` option; absent where publishing does not run (see job-hooks.ts)
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {}

  private publishCheck(): JobPublishCheck | undefined {
    try {
      return this.moduleRef?.get(JobPublishCheck, { strict: false });
    } catch {
      return undefined;
    }
  }

  /** A `publish` option only on blog-post jobs, to endpoints the publishing module accepts (a 4xx otherwise). */
  private async checkPublish(tenantId: string, read: ReadSubmission): Promise<void> {
    const option = read.fields.publish;
    if (!option) return;
    if (read.profile.key !== PUBLISHABLE_PROFILE)
      throw new PublishOptionRefusedError(`publish is only for ${PUBLISHABLE_PROFILE} jobs (profile is ${read.profile.key})`);
    const check = this.publishCheck();
    if (!check) throw new PublishOptionRefusedError('publish: publishing is not available in this installation');
    await check.check(tenantId, option);
  }

  /**
   * `origin: 'instant'`: the queued full analysis of an instant POST /analyze, whose one item was counted as an
   * on-demand item already: not counted again as a job of the month.
   */
  async execute(
    principal: Principal,
    source: SubmitSource,
    idempotencyKey?: string,
    options: { origin?: JobOrigin; stepModels?: Record<string, string> } = {},
  ): Promise<SubmitResult> {
    const origin = options.origin ?? 'submit';
    const tenantId = principal.tenantId;
    // the plan's limits as of a few seconds ago at most (no two lookups per submission)
    const limits = await this.quotas.limitsFor(tenantId);
    // A key already used: the body is only hashed, to tell a replay (200) from a different request (409).
    const earlier = idempotencyKey ? await this.repo.findByIdempotencyKey(tenantId, idempotencyKey) : null;
    const spool = new ItemSpool();
    try {
      const read = await this.reader.read(principal, source, {
        keep: earlier ? undefined : (items) => spool.add(items),
        stopAfter: limits.maxItemsPerJob,
        requestHashes: idempotencyKey !== undefined,
      });
      const fields = { ...read.fields, profile: `${read.profile.key}@${read.profile.version}` };
      const requestHash = idempotencyKey ? read.intake.requestHash(fields) : null;
      if (earlier) return await this.replay(tenantId, earlier, requestHash, read);
      await this.checkPublish(tenantId, read);
      if (read.fields.deadline && new Date(read.fields.deadline).getTime() <= this.clock.now().getTime()) throw new DeadlinePassedError(read.fields.deadline);

      const priority = await this.priorities.resolve(fields.priority, fields.name, fields.metadata);
      const accepted: Accepted = {
        principal,
        read,
        limits,
        priority,
        idempotencyKey: idempotencyKey ?? null,
        requestHash,
        origin,
        stepModels: options.stepModels ?? null,
      };
      let stored: Stored;
      try {
        stored =
          (countsMonthly(limits) && origin === 'submit') || read.intake.count > ITEM_CHUNK
            ? await this.repo.transaction((m) => this.store(m, accepted, spool))
            : await this.storeAtOnce(accepted, spool);
      } catch (err) {
        // a concurrent twin with the same key committed first
        if (err instanceof IdempotencyKeyTakenError && idempotencyKey)
          return await this.replay(tenantId, await this.repo.findByIdempotencyKey(tenantId, idempotencyKey), requestHash, read);
        throw err;
      }
      await this.feeder.handOver(tenantId, stored.job.id, priority, stored.firstWindow);
      this.logger.log(
        { tenantId, jobId: stored.job.id, items: stored.job.totalItems, priority, profile: fields.profile, spilled: spool.spilled },
        'Job accepted',
      );
      return await this.answer(tenantId, stored.job, read, true);
    } finally {
      const spilled = spool.spilled;
      await spool.dispose();
      if (spilled) this.memory.compactSoon(); // a body that big leaves its garbage in the old generation
    }
  }

  /** One short transaction: the quota (for plans with monthly limits, under the tenant's lock), the job, its items. */
  private async store(m: EntityManager, a: Accepted, spool: ItemSpool): Promise<Stored> {
    const tenantId = a.principal.tenantId;
    const count = a.read.intake.count;
    if (a.origin === 'submit') await this.quotas.assertCanSubmit(m, tenantId, a.limits.plan, count, a.limits);
    else assertJobSize(a.limits, count);
    const jobId = await this.repo.insertJob(m, this.newJob(a));
    // the first window is marked handed to the queue as it is inserted, and goes there once committed
    const firstWindow: Stored['firstWindow'] = [];
    for await (const chunk of spool.chunks(ITEM_CHUNK)) firstWindow.push(...(await this.repo.insertItems(m, tenantId, jobId, chunk, FEED_WINDOW)));
    return { job: { id: jobId, status: 'queued', totalItems: count, priority: a.priority }, firstWindow };
  }

  /**
   * No monthly quota to count and items that fit one insert: the job and its items in one statement, atomic on
   * its own (the common submission, a playlist; one round trip instead of four).
   */
  private async storeAtOnce(a: Accepted, spool: ItemSpool): Promise<Stored> {
    const count = a.read.intake.count;
    assertJobSize(a.limits, count);
    const items: NewItem[] = [];
    for await (const chunk of spool.chunks(ITEM_CHUNK)) items.push(...chunk);
    const { jobId, firstWindow } = await this.repo.insertJobWithItems(this.newJob(a), items, FEED_WINDOW);
    return { job: { id: jobId, status: 'queued', totalItems: count, priority: a.priority }, firstWindow };
  }

  private newJob(a: Accepted): NewJob & { totalItems: number } {
    const { principal, read } = a;
    return {
      tenantId: principal.tenantId,
      profileKey: read.profile.key,
      profileVersion: read.profile.version,
      name: read.fields.name ?? null,
      priority: a.priority,
      budgetUsd: read.fields.budgetUsd === undefined ? null : picoToDecimal(usdToPico(read.fields.budgetUsd.toFixed(6))),
      metadata: read.fields.metadata ?? null,
      maxWaitSeconds: read.fields.maxWaitSeconds ?? null,
      cacheScope: read.scope,
      deadline: read.fields.deadline ? new Date(read.fields.deadline) : null,
      deferrable: read.fields.deferrable ?? null,
      publish: read.fields.publish
        ? { endpointIds: [...read.fields.publish.endpointIds], ...(read.fields.publish.scheduledAt ? { scheduledAt: read.fields.publish.scheduledAt } : {}) }
        : null,
      idempotencyKey: a.idempotencyKey,
      requestHash: a.requestHash,
      createdByUserId: principal.userId,
      createdByApiKeyId: principal.apiKeyId,
      createdAt: this.clock.now(),
      totalItems: read.intake.count,
      origin: a.origin,
      stepModels: a.stepModels,
    };
  }

  /** The job an Idempotency-Key names, answered again (200) when the body is the same; a different body is a 409. */
  private async replay(tenantId: string, job: JobEntity | null, requestHash: string | null, read: ReadSubmission): Promise<SubmitResult> {
    if (!job || job.requestHash !== requestHash) throw new ConflictError('This Idempotency-Key was used with a different request body');
    return this.answer(tenantId, job, read, false);
  }

  private async answer(tenantId: string, job: SubmittedJob, read: ReadSubmission, created: boolean): Promise<SubmitResult> {
    const estimate = await this.estimates.forProfile(tenantId, read.profile, read.intake.count, read.cacheHits, null);
    return {
      created,
      response: {
        id: job.id,
        status: job.status,
        totalItems: job.totalItems,
        priority: job.priority,
        estimate: { costUsd: estimate.costUsd, seconds: estimate.seconds },
      },
    };
  }
}
