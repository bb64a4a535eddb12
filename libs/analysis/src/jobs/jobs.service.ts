import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import {
  QUEUES,
  type AnalysisItemPayload,
  type CacheScope,
  type JobCounters,
  type JobEstimate,
  type JobItemView,
  type JobStats,
  type JobStatus,
  type JobSubmitResponse,
  type JobView,
  type ItemStatus,
  type Page,
  type Priority,
} from '@margin/contracts';
import { AppConfig, Clock, ConflictError, MemoryCompactor, decodeCursor, encodeCursor, monthPeriodUtc, DomainError, NotFoundError, picoToDecimal, picoToUsd, usdToPico, type PicoUsd } from '@margin/core';
import type { Principal } from '@margin/identity';
import { CatalogService, costOf, DEFAULT_MAX_TOKENS, RouterService } from '@margin/model-router';
import type { Queue } from 'bull';
import { AnalysisCacheService, requestedScope } from '../cache/analysis-cache.service';
import type { ProfileDefinition } from '../pipeline/pipeline.types';
import { parseProfileRef, ProfilesService } from '../profiles/profiles.service';
import { JobCountersReader } from '../progress/job-counters.reader';
import { ProgressPublisher } from '../progress/progress.publisher';
import { QuotaService } from '../quotas/quota.service';
import { InvalidItemsError } from './item-input';
import { JobIntake, type IntakeOptions } from './job-intake';
import type { JobEntity } from './job.entity';
import type { BodyEvent } from './json-body-stream';
import { isProfileRef, MAX_ITEMS_PER_JOB } from './jobs.dto';
import { toCounters, toItemView, toJobView } from './job-views';
import { FEED_WINDOW, JobFeeder } from './job-feeder';
import { IdempotencyKeyTakenError, JobsRepository, type NewItem } from './jobs.repository';
import { ItemSpool, SPOOL_MEMORY_BYTES } from './item-spool';
import { PriorityService } from './priority.service';

export interface SubmitInput {
  profile: string;
  name?: string;
  priority?: Priority | 'auto';
  budgetUsd?: number;
  maxWaitSeconds?: number;
  cacheScope?: CacheScope;
  items: Array<Record<string, unknown>>;
  metadata?: Record<string, unknown>;
}

export type SubmitFields = Omit<SubmitInput, 'items'>;

/** What is wrong with `items` as a whole (reported with the other fields' validation errors). */
export interface ItemsShapeProblems {
  notArray: boolean;
  tooMany: boolean;
  nonObject: boolean;
}

/** A submission as it arrives: the body's events (a JSON body streamed, or a form's fields and file) and the fields' rules. */
export interface SubmitSource {
  events: AsyncIterable<BodyEvent>;
  /** Validates the fields other than `items` (throws a 400 listing every problem, with those of `items`). */
  checkFields(fields: Record<string, unknown>, items: ItemsShapeProblems): Promise<SubmitFields>;
}

/** What the answer to a submission tells of its job (a new one, or the one an Idempotency-Key replays). */
type SubmittedJob = Pick<JobEntity, 'id' | 'status' | 'totalItems' | 'priority'>;

/** Items inserted (and cache-checked) per round trip. */
const ITEM_CHUNK = 1000;

export class NoItemsError extends DomainError {
  readonly code = 'no_items';
  readonly httpStatus = 400;
  constructor() {
    super('items must contain at least 1 item (or upload a CSV/JSON file in `file`)');
  }
}


/** How long a count of the queue's workers is reused for estimates. */
const WORKER_COUNT_TTL_MS = 5000;

/** Assumed generation pace for time estimates before there is history. */
const ESTIMATE_TOKENS_PER_SECOND = 50;

@Injectable()
export class JobsService extends JobCountersReader {
  private readonly logger = new Logger(JobsService.name);

  constructor(
    private readonly repo: JobsRepository,
    private readonly profiles: ProfilesService,
    private readonly quotas: QuotaService,
    private readonly priorities: PriorityService,
    private readonly cache: AnalysisCacheService,
    private readonly router: RouterService,
    private readonly catalog: CatalogService,
    private readonly progress: ProgressPublisher,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly feeder: JobFeeder,
    @InjectQueue(QUEUES.analysis) private readonly queue: Queue<AnalysisItemPayload>,
    private readonly memory: MemoryCompactor,
  ) {
    super();
  }

  private async resolveProfile(tenantId: string, ref: string): Promise<ProfileDefinition> {
    const { key, version } = parseProfileRef(ref);
    return this.profiles.resolve(tenantId, key, version);
  }

  /** How many of these items the cache already has, per scope the job may use (duplicates counted each time). */
  private async countCached(tenantId: string, profile: ProfileDefinition, items: NewItem[], into: Record<CacheScope, number>): Promise<void> {
    const counts = await this.cache.countCached(tenantId, profile, items.map((it) => it.inputHash));
    into.global += counts.global;
    into.tenant += counts.tenant;
  }

  /** The checks that need the whole body, in the order they always ran: fields, items present, profile, items valid. */
  private async finishIntake(source: SubmitSource, intake: JobIntake): Promise<{ fields: SubmitFields; profile: ProfileDefinition; scope: CacheScope }> {
    const fields = await source.checkFields(intake.fields, {
      notArray: intake.itemsNotArray,
      tooMany: intake.count > MAX_ITEMS_PER_JOB,
      nonObject: intake.nonObject,
    });
    if (intake.count === 0) throw new NoItemsError();
    if (intake.deferredError) throw intake.deferredError;
    if (intake.problems.length) throw new InvalidItemsError(intake.problems);
    if (!intake.profile) throw new NoItemsError(); // a well-formed profile with items is always resolved
    return { fields, profile: intake.profile, scope: requestedScope(intake.profile, fields.cacheScope) };
  }

  private intake(principal: Principal, onChunk: IntakeOptions['onChunk'], stopAfter: number | null = null, requestHashes = false): JobIntake {
    return new JobIntake({
      resolveProfile: (ref) => this.resolveProfile(principal.tenantId, ref),
      isProfileRef: isProfileRef,
      maxItems: MAX_ITEMS_PER_JOB,
      chunkSize: ITEM_CHUNK,
      onChunk,
      stopAfter,
      requestHashes,
    });
  }

  /**
   * Accepts a job in two phases. While the body arrives, items are validated, hashed and counted against the
   * cache a chunk at a time and held in a spool (memory, or a temporary file past a budget): no database
   * connection or transaction waits on the client. Once the body is in and every check passed, the job and
   * its items are written in one short transaction (multi-row inserts), so any invalid item, an exceeded
   * quota or a failure anywhere stores nothing.
   */
  async submit(principal: Principal, source: SubmitSource, idempotencyKey?: string): Promise<{ created: boolean; response: JobSubmitResponse }> {
    const tenantId = principal.tenantId;
    // the plan's limits as of a few seconds ago at most (no two lookups per submission)
    const limits = await this.quotas.limitsFor(tenantId);
    // A key already used: the body is only hashed, to tell a replay (200) from a different request (409).
    const earlier = idempotencyKey ? await this.repo.findByIdempotencyKey(tenantId, idempotencyKey) : null;
    const spool = new ItemSpool();
    const hits: Record<CacheScope, number> = { global: 0, tenant: 0 };
    try {
      const intake = this.intake(
        principal,
        async ({ items }, profile) => {
          if (!earlier) await spool.add(items);
          await this.countCached(tenantId, profile, items, hits);
        },
        limits.maxItemsPerJob,
        idempotencyKey !== undefined,
      );
      await intake.consume(source.events);
      const { fields: checked, profile, scope } = await this.finishIntake(source, intake);
      const fields = { ...checked, profile: `${profile.key}@${profile.version}` };
      const cacheHits = hits[scope];
      const requestHash = idempotencyKey ? intake.requestHash(fields) : null;
      const replayOf = async (job: JobEntity | null) => {
        if (!job || (job.requestHash !== requestHash && job.requestHash !== (idempotencyKey ? intake.legacyRequestHash(fields) : null))) {
          throw new ConflictError('This Idempotency-Key was used with a different request body');
        }
        return this.submitResponse(tenantId, job, profile, intake.count, cacheHits, false);
      };
      if (earlier) return await replayOf(earlier);

      const priority = await this.priorities.resolve(fields.priority, fields.name, fields.metadata);
      let created: { job: SubmittedJob; firstWindow: Array<{ id: string; attempts: number }> };
      try {
        // one short transaction: the quota (for plans with monthly limits, under the tenant's lock), the job, its items
        created = await this.repo.transaction(async (m) => {
          await this.quotas.assertCanSubmit(m, tenantId, limits.plan, intake.count, limits);
          const jobId = await this.repo.insertJob(m, {
            tenantId,
            profileKey: profile.key,
            profileVersion: profile.version,
            name: fields.name ?? null,
            priority,
            budgetUsd: fields.budgetUsd === undefined ? null : picoToDecimal(usdToPico(fields.budgetUsd.toFixed(6))),
            metadata: fields.metadata ?? null,
            maxWaitSeconds: fields.maxWaitSeconds ?? null,
            cacheScope: scope,
            idempotencyKey: idempotencyKey ?? null,
            requestHash,
            createdByUserId: principal.userId,
            createdByApiKeyId: principal.apiKeyId,
            createdAt: this.clock.now(),
            totalItems: intake.count,
          });
          // the first window is marked handed to the queue as it is inserted, and goes there once committed
          const firstWindow: Array<{ id: string; attempts: number }> = [];
          for await (const chunk of spool.chunks(ITEM_CHUNK)) firstWindow.push(...(await this.repo.insertItems(m, tenantId, jobId, chunk, FEED_WINDOW)));
          return { job: { id: jobId, status: 'queued' as const, totalItems: intake.count, priority }, firstWindow };
        });
      } catch (err) {
        // a concurrent twin with the same key committed first
        if (err instanceof IdempotencyKeyTakenError && idempotencyKey) return await replayOf(await this.repo.findByIdempotencyKey(tenantId, idempotencyKey));
        throw err;
      }
      await this.feeder.handOver(tenantId, created.job.id, priority, created.firstWindow);
      this.logger.log({ tenantId, jobId: created.job.id, items: created.job.totalItems, priority, profile: fields.profile, spilled: spool.spilled }, 'Job accepted');
      return await this.submitResponse(tenantId, created.job, profile, intake.count, cacheHits, true);
    } finally {
      const spilled = spool.spilled;
      await spool.dispose();
      if (spilled) this.memory.compactSoon(); // a body that big leaves its garbage in the old generation
    }
  }

  private async submitResponse(
    tenantId: string,
    job: SubmittedJob,
    profile: ProfileDefinition,
    count: number,
    cacheHits: number,
    created: boolean,
  ): Promise<{ created: boolean; response: JobSubmitResponse }> {
    const estimate = await this.estimateFor(tenantId, profile, count, cacheHits, null);
    return {
      created,
      response: { id: job.id, status: job.status, totalItems: job.totalItems, priority: job.priority, estimate: { costUsd: estimate.costUsd, seconds: estimate.seconds } },
    };
  }

  async estimate(principal: Principal, source: SubmitSource): Promise<JobEstimate> {
    const hits: Record<CacheScope, number> = { global: 0, tenant: 0 };
    const intake = this.intake(principal, async ({ items }, profile) => {
      await this.countCached(principal.tenantId, profile, items, hits);
    });
    await intake.consume(source.events).finally(() => {
      if (intake.inputChars > SPOOL_MEMORY_BYTES) this.memory.compactSoon();
    });
    const { profile, scope } = await this.finishIntake(source, intake);
    return this.estimateFor(principal.tenantId, profile, intake.count, hits[scope], intake.inputChars / intake.count);
  }

  private async estimateFor(
    tenantId: string,
    profile: ProfileDefinition,
    count: number,
    cacheHits: number,
    /** Mean canonical JSON length of an item, when known. */
    meanInputChars: number | null,
  ): Promise<JobEstimate> {
    const calls = count - cacheHits;
    const allowedTiers = (await this.quotas.limitsFor(tenantId)).allowedTiers;
    const inputChars = meanInputChars ?? 2000;
    let totalPico: PicoUsd = 0n;
    let seconds = 0;
    const steps: JobEstimate['steps'] = [];
    let previousOutput = 0;
    for (const step of profile.steps) {
      if (profile.qualityGate && step.name === profile.qualityGate.refineStep) continue; // runs only when the gate asks
      const maxTokens = step.maxTokens ?? DEFAULT_MAX_TOKENS;
      const inputTokens = Math.ceil((inputChars + step.prompt.length) / 4) + previousOutput;
      const expectedOutput = Math.ceil(maxTokens / 2);
      const plan = await this.router.plan({ tenantId, operation: step.operation, complexity: step.complexity, inputTokens, maxTokens, budgetRemainingPico: null, allowedTiers });
      const chosen = plan.candidates[0];
      const price = chosen ? this.catalog.priceAt(chosen.model.id, this.clock.now()) : undefined;
      const perCall = price ? costOf(price, { inputTokens, cachedInputTokens: 0, outputTokens: expectedOutput }).totalPico : 0n;
      totalPico += perCall * BigInt(calls);
      seconds += expectedOutput / ESTIMATE_TOKENS_PER_SECOND + 0.3;
      steps.push({ operation: step.operation, provider: chosen?.model.providerId ?? null, model: chosen?.model.id ?? null, calls, costUsd: picoToUsd(perCall * BigInt(calls)) });
      previousOutput = expectedOutput;
    }
    const parallel = await this.parallelism();
    return { costUsd: picoToUsd(totalPico), seconds: Math.ceil(Math.ceil(calls / parallel) * seconds), cacheHits, steps };
  }

  /** Workers connected to the queue, as last counted (CLIENT LIST is too heavy to ask for on every submission). */
  private workersSeen: { count: number; at: number } | null = null;

  /** Items that can run at once: workers connected to the queue × WORKER_CONCURRENCY (at least one worker assumed). */
  private async parallelism(): Promise<number> {
    const now = Date.now();
    if (!this.workersSeen || now - this.workersSeen.at > WORKER_COUNT_TTL_MS) {
      const workers = await this.queue.getWorkers().catch(() => []);
      this.workersSeen = { count: workers.length, at: now };
    }
    return Math.max(1, this.workersSeen.count) * this.config.workerConcurrency;
  }

  async list(principal: Principal, query: { status?: JobStatus; limit?: number; cursor?: string }): Promise<Page<JobView>> {
    const limit = query.limit ?? 20;
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.repo.listJobs(principal.tenantId, { status: query.status, limit: limit + 1, after });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const now = this.clock.now();
    return {
      data: page.map((j) => toJobView(j, now)),
      nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  async stats(principal: Principal, range: { from?: Date; to?: Date }): Promise<JobStats> {
    const now = this.clock.now();
    const from = range.from ?? monthPeriodUtc(now).start;
    const to = range.to ?? new Date(now.getTime() + 1);
    const s = await this.repo.stats(principal.tenantId, from, to);
    return { from: from.toISOString(), to: to.toISOString(), ...s, cacheHitRate: s.completed ? Math.round((s.cached / s.completed) * 1000) / 1000 : 0 };
  }

  async get(principal: Principal, id: string): Promise<JobView> {
    const job = await this.repo.findJob(principal.tenantId, id);
    if (!job) throw new NotFoundError('Job');
    return toJobView(job, this.clock.now());
  }

  async counters(tenantId: string, jobId: string): Promise<JobCounters | null> {
    const job = await this.repo.findJob(tenantId, jobId);
    return job ? toCounters(job, this.clock.now()) : null;
  }

  async items(principal: Principal, jobId: string, query: { status?: ItemStatus; limit?: number; cursor?: number }): Promise<Page<JobItemView>> {
    const job = await this.repo.findJob(principal.tenantId, jobId);
    if (!job) throw new NotFoundError('Job');
    const limit = query.limit ?? 50;
    const rows = await this.repo.listItems(principal.tenantId, jobId, { status: query.status, limit: limit + 1, afterIndex: query.cursor });
    const page = rows.slice(0, limit);
    return { data: page.map(toItemView), nextCursor: rows.length > limit ? String(page.at(-1)?.index) : null };
  }

  /** Every item in index order, a page at a time (results of big jobs stream without being held in memory). */
  async *results(principal: Principal, jobId: string): AsyncGenerator<JobItemView> {
    const job = await this.repo.findJob(principal.tenantId, jobId);
    if (!job) throw new NotFoundError('Job');
    let after = -1;
    for (;;) {
      const page = await this.repo.listItems(principal.tenantId, jobId, { limit: 1000, afterIndex: after });
      for (const item of page) yield toItemView(item);
      if (page.length < 1000) return;
      after = page.at(-1)?.index ?? after;
    }
  }

  async assertJob(principal: Principal, jobId: string): Promise<void> {
    if (!(await this.repo.findJob(principal.tenantId, jobId))) throw new NotFoundError('Job');
  }

  async cancel(principal: Principal, jobId: string): Promise<JobView> {
    const job = await this.repo.cancel(principal.tenantId, jobId, this.clock.now());
    if (!job) throw new NotFoundError('Job');
    // Its items not in Bull yet leave the fair queue now (those in Bull finish as cancelled, at $0).
    await this.feeder.drop(jobId).catch((err: Error) => this.logger.warn({ jobId, err: err.message }, 'Could not drop the job from the fair queue'));
    const counters = toCounters(job, this.clock.now());
    await this.progress.jobCompleted(principal.tenantId, counters);
    this.logger.log({ tenantId: principal.tenantId, jobId }, 'Job cancelled');
    return toJobView(job, this.clock.now());
  }

  async retry(principal: Principal, jobId: string): Promise<JobView & { retriedItems: number }> {
    const job = await this.repo.findJob(principal.tenantId, jobId);
    if (!job) throw new NotFoundError('Job');
    if (job.status === 'cancelled') throw new ConflictError('A cancelled job cannot be retried');
    const ids = await this.repo.requeueFailed(principal.tenantId, jobId);
    await this.feeder.feed(principal.tenantId, jobId, job.priority, { force: true });
    const after = await this.repo.findJob(principal.tenantId, jobId);
    return { ...toJobView(after ?? job, this.clock.now()), retriedItems: ids.length };
  }
}
