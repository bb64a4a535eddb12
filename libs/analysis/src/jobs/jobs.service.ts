import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import {
  QUEUES,
  type AnalysisItemPayload,
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
import { AppConfig, Clock, ConflictError, decodeCursor, encodeCursor, monthPeriodUtc, DomainError, NotFoundError, picoToDecimal, picoToUsd, usdToPico, type PicoUsd } from '@margin/core';
import { TenantRepository, type Principal } from '@margin/identity';
import { CatalogService, costOf, DEFAULT_MAX_TOKENS, RouterService } from '@margin/model-router';
import type { Queue } from 'bull';
import { createHash } from 'node:crypto';
import { AnalysisCacheService, cacheScope } from '../cache/analysis-cache.service';
import { canonicalJson, inputHash } from '../cache/canonical';
import type { ProfileDefinition } from '../pipeline/pipeline.types';
import { parseProfileRef, ProfilesService } from '../profiles/profiles.service';
import { JobCountersReader } from '../progress/job-counters.reader';
import { ProgressPublisher } from '../progress/progress.publisher';
import { QuotaService } from '../quotas/quota.service';
import { InvalidItemsError, validateItems } from './item-input';
import { toCounters, toItemView, toJobView } from './job-views';
import { JobFeeder } from './job-feeder';
import { JobsRepository } from './jobs.repository';
import { PriorityService } from './priority.service';

export interface SubmitInput {
  profile: string;
  name?: string;
  priority?: Priority | 'auto';
  budgetUsd?: number;
  items: Array<Record<string, unknown>>;
  metadata?: Record<string, unknown>;
}

export class NoItemsError extends DomainError {
  readonly code = 'no_items';
  readonly httpStatus = 400;
  constructor() {
    super('items must contain at least 1 item (or upload a CSV/JSON file in `file`)');
  }
}


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
    private readonly tenants: TenantRepository,
    private readonly progress: ProgressPublisher,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly feeder: JobFeeder,
    @InjectQueue(QUEUES.analysis) private readonly queue: Queue<AnalysisItemPayload>,
  ) {
    super();
  }

  private async resolveProfile(tenantId: string, ref: string): Promise<ProfileDefinition> {
    const { key, version } = parseProfileRef(ref);
    return this.profiles.resolve(tenantId, key, version);
  }

  private validate(profile: ProfileDefinition, items: Array<Record<string, unknown>>): void {
    if (items.length === 0) throw new NoItemsError();
    const problems = validateItems(profile.inputSchema, items);
    if (problems.length) throw new InvalidItemsError(problems);
  }

  async submit(principal: Principal, input: SubmitInput, idempotencyKey?: string): Promise<{ created: boolean; response: JobSubmitResponse }> {
    const profile = await this.resolveProfile(principal.tenantId, input.profile);
    this.validate(profile, input.items);
    const tenant = await this.tenants.findById(principal.tenantId);
    if (!tenant) throw new NotFoundError('Tenant');
    const requestHash = createHash('sha256').update(canonicalJson({ ...input, profile: `${profile.key}@${profile.version}` })).digest('hex');
    const priority = await this.priorities.resolve(input.priority, input.name, input.metadata);
    const now = this.clock.now();
    const hashes = input.items.map((item) => inputHash(profile.key, profile.version, item));

    const outcome = await this.repo
      .transaction(async (m) => {
        if (idempotencyKey) {
          const existing = await this.repo.findByIdempotencyKey(m, principal.tenantId, idempotencyKey);
          if (existing) {
            if (existing.requestHash !== requestHash) throw new ConflictError('This Idempotency-Key was used with a different request body');
            return { created: false, job: existing };
          }
        }
        await this.quotas.assertCanSubmit(m, principal.tenantId, tenant.plan, input.items.length);
        const job = await this.repo.insertJobWithItems(
          m,
          {
            tenantId: principal.tenantId,
            profileKey: profile.key,
            profileVersion: profile.version,
            name: input.name ?? null,
            priority,
            budgetUsd: input.budgetUsd === undefined ? null : picoToDecimal(usdToPico(input.budgetUsd.toFixed(6))),
            metadata: input.metadata ?? null,
            idempotencyKey: idempotencyKey ?? null,
            requestHash,
            createdByUserId: principal.userId,
            createdByApiKeyId: principal.apiKeyId,
            createdAt: now,
          },
          input.items.map((item, index) => ({ index, input: item, inputHash: hashes[index] as string })),
        );
        return { created: true, job };
      })
      .catch(async (err: unknown) => {
        // Two requests with one Idempotency-Key raced: the unique index let one in; answer the other with it.
        if (idempotencyKey && (err as { code?: string }).code === '23505') {
          const existing = await this.repo.transaction((m) => this.repo.findByIdempotencyKey(m, principal.tenantId, idempotencyKey));
          if (existing && existing.requestHash === requestHash) return { created: false, job: existing };
          if (existing) throw new ConflictError('This Idempotency-Key was used with a different request body');
        }
        throw err;
      });

    const { job } = outcome;
    if (outcome.created) {
      await this.feeder.feed(principal.tenantId, job.id, priority, { force: true });
      this.logger.log({ tenantId: principal.tenantId, jobId: job.id, items: job.totalItems, priority, profile: `${profile.key}@${profile.version}` }, 'Job accepted');
    }
    const estimate = await this.estimateFor(principal.tenantId, profile, input.items.length, hashes, tenant.plan);
    return {
      created: outcome.created,
      response: { id: job.id, status: job.status, totalItems: job.totalItems, priority: job.priority, estimate: { costUsd: estimate.costUsd, seconds: estimate.seconds } },
    };
  }

  async estimate(principal: Principal, input: SubmitInput): Promise<JobEstimate> {
    const profile = await this.resolveProfile(principal.tenantId, input.profile);
    this.validate(profile, input.items);
    const tenant = await this.tenants.findById(principal.tenantId);
    if (!tenant) throw new NotFoundError('Tenant');
    const hashes = input.items.map((item) => inputHash(profile.key, profile.version, item));
    return this.estimateFor(principal.tenantId, profile, input.items.length, hashes, tenant.plan, input.items);
  }

  private async estimateFor(
    tenantId: string,
    profile: ProfileDefinition,
    count: number,
    hashes: string[],
    plan: Parameters<QuotaService['limits']>[0],
    items?: Array<Record<string, unknown>>,
  ): Promise<JobEstimate> {
    const scope = cacheScope(profile.cacheScope, tenantId);
    const cached = await this.cache.cachedHashes({ profileKey: profile.key, profileVersion: profile.version, scope }, [...new Set(hashes)]);
    const cacheHits = hashes.filter((h) => cached.has(h)).length;
    const calls = count - cacheHits;
    const allowedTiers = (await this.quotas.limits(plan)).allowedTiers;
    const inputChars = items ? items.reduce((n, it) => n + canonicalJson(it).length, 0) / Math.max(items.length, 1) : 2000;
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

  /** Items that can run at once: workers connected to the queue × WORKER_CONCURRENCY (at least one worker assumed). */
  private async parallelism(): Promise<number> {
    const workers = await this.queue.getWorkers().catch(() => []);
    return Math.max(1, workers.length) * this.config.workerConcurrency;
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
