import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { CacheScope, ItemStatus, JobPublishOption, JobStatus, Priority } from '@margin/contracts';
import { GroupCommit, isUniqueViolation } from '@margin/core';
import type { Pool } from 'pg';
import { DataSource, type EntityManager, Repository } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { JobItemEntity } from './job-item.entity';
import { JobEntity } from './job.entity';

export interface NewJob {
  tenantId: string;
  profileKey: string;
  profileVersion: number;
  name: string | null;
  priority: JobEntity['priority'];
  budgetUsd: string | null;
  metadata: Record<string, unknown> | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdByUserId: string | null;
  createdByApiKeyId: string | null;
  createdAt: Date;
  /** Patience for provider outages (null or absent: the tenant's default). */
  maxWaitSeconds?: number | null;
  /** Where its items are cached. */
  cacheScope: CacheScope;
  /** blog-post jobs: where each finished item is published. */
  publish?: JobPublishOption | null;
  /** `instant`: the queued full analysis of a POST /analyze in instant mode (its item counted there, not as a job). */
  origin?: JobOrigin;
  /** A plan's pinned models, by step name. */
  stepModels?: Record<string, string> | null;
  /** When the results are needed by, and whether the batch tier may be used (null: the tenant's default). */
  deadline?: Date | null;
  deferrable?: boolean | null;
}

export type JobOrigin = 'submit' | 'instant';

export interface NewItem {
  index: number;
  input: unknown;
  /** The input already as JSON text (an item read back from the submission spool): stored as is. */
  raw?: string;
  inputHash: string;
}

/** Another submission with the same Idempotency-Key committed first. */
export class IdempotencyKeyTakenError extends Error {
  constructor() {
    super('Idempotency-Key already used');
    this.name = 'IdempotencyKeyTakenError';
  }
}

/** Counters after an item reached a final state; `finished` when this was the job's last open item. */
export interface ItemOutcome {
  changed: boolean;
  /** The job's row right after this item was counted; null when the item had been final already. */
  job: JobEntity | null;
  finished: boolean;
}

export interface FinalOutcome {
  status: 'completed' | 'failed' | 'cancelled';
  result?: unknown;
  error?: string | null;
  cached?: boolean;
  costUsd?: string;
  savedUsd?: string;
  model?: string | null;
  at: Date;
}

/** What a worker needs to run an item, read and claimed in one statement (see claimItem). */
export interface ClaimedItem {
  job: {
    status: JobStatus;
    priority: Priority;
    profileKey: string;
    profileVersion: number;
    budgetUsd: string | null;
    createdByUserId: string | null;
    createdByApiKeyId: string | null;
    maxWaitSeconds: number | null;
    cacheScope: CacheScope | null;
    /** Models its plan pinned, by step name (null: the router chooses every step). */
    stepModels: Record<string, string> | null;
    deadline: Date | null;
    deferrable: boolean | null;
  };
  item: { index: number; status: ItemStatus } | null;
  /**
   * Set when the item is now running for this delivery: `attempts` counts this one (waits for providers are
   * not attempts), `waits` how often it was put back to wait, `waitingSince` when its current wait began.
   */
  run: { input: unknown; inputHash: string; attempts: number; waits: number; waitingSince: Date | null } | null;
}

const TERMINAL: ItemStatus[] = ['completed', 'failed', 'cancelled'];
/** Item completions per statement (11 arrays of this length). */
const FINISH_BATCH = 1000;

interface Finish extends FinalOutcome {
  tenantId: string;
  jobId: string;
  itemId: string;
}

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

/** A jobs row as row_to_json gives it (numerics cast to text, timestamps as ISO strings). */
function toJobEntity(r: Record<string, unknown>): JobEntity {
  return Object.assign(new JobEntity(), {
    id: r['id'],
    tenantId: r['tenant_id'],
    profileKey: r['profile_key'],
    profileVersion: r['profile_version'],
    name: r['name'],
    status: r['status'],
    priority: r['priority'],
    budgetUsd: r['budget_usd'],
    totalItems: r['total_items'],
    completedItems: r['completed_items'],
    failedItems: r['failed_items'],
    cachedItems: r['cached_items'],
    cancelledItems: r['cancelled_items'],
    costUsd: r['cost_usd'],
    savedUsd: r['saved_usd'],
    metadata: r['metadata'],
    idempotencyKey: r['idempotency_key'],
    requestHash: r['request_hash'],
    createdByUserId: r['created_by_user_id'],
    createdByApiKeyId: r['created_by_api_key_id'],
    createdAt: date(r['created_at']),
    startedAt: date(r['started_at']),
    finishedAt: date(r['finished_at']),
    maxWaitSeconds: r['max_wait_seconds'] ?? null,
    cacheScope: r['cache_scope'] ?? null,
    waitingReason: r['waiting_reason'] ?? null,
    waitingUntil: date(r['waiting_until']),
    publish: r['publish'] ?? null,
    origin: r['origin'] ?? 'submit',
    deadline: date(r['deadline']),
    deferrable: r['batch_deferrable'] ?? null,
  } as Partial<JobEntity>);
}

const JOB_INSERT = `INSERT INTO jobs (tenant_id, profile_key, profile_version, status, priority, total_items, idempotency_key, request_hash, name, budget_usd, metadata,
                   max_wait_seconds, created_by_user_id, created_by_api_key_id, created_at, cache_scope, publish, origin, step_models, deadline, batch_deferrable)
 VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15, $16::jsonb, $17, $18::jsonb, $19, $20)`;

function jobParams(job: NewJob & { totalItems: number }): unknown[] {
  return [
    job.tenantId,
    job.profileKey,
    job.profileVersion,
    job.priority,
    job.totalItems,
    job.idempotencyKey,
    job.requestHash,
    job.name,
    job.budgetUsd,
    job.metadata === null ? null : JSON.stringify(job.metadata),
    job.maxWaitSeconds ?? null,
    job.createdByUserId,
    job.createdByApiKeyId,
    job.createdAt,
    job.cacheScope,
    job.publish ? JSON.stringify(job.publish) : null,
    job.origin ?? 'submit',
    job.stepModels ? JSON.stringify(job.stepModels) : null,
    job.deadline ?? null,
    job.deferrable ?? null,
  ];
}

/** The items insert for a job given as SQL (`jobSql`), its tenant and the item arrays at parameters `$p`…`$p+4`. */
function itemsInsert(jobSql: string, p: number): string {
  return `INSERT INTO job_items (job_id, tenant_id, index, input, input_hash, status, enqueued)
         SELECT ${jobSql}, $${p}, t.index, t.input::jsonb, t.hash, 'queued', t.index < $${p + 4}
         FROM unnest($${p + 1}::int[], $${p + 2}::text[], $${p + 3}::text[]) AS t(index, input, hash)`;
}

/** The items as three parallel arrays (unnested by the statement). */
function itemParams(items: NewItem[]): [number[], string[], string[]] {
  const indexes = new Array<number>(items.length);
  const inputs = new Array<string>(items.length);
  const hashes = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as NewItem;
    indexes[i] = it.index;
    inputs[i] = it.raw ?? JSON.stringify(it.input);
    hashes[i] = it.inputHash;
  }
  return [indexes, inputs, hashes];
}

/** A taken Idempotency-Key (the unique index) as IdempotencyKeyTakenError. */
async function takenKeyAsError<T>(job: NewJob, query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch (err) {
    if (job.idempotencyKey !== null && isUniqueViolation(err, 'jobs_idempotency')) throw new IdempotencyKeyTakenError();
    throw err;
  }
}

/**
 * Finishes the given items of ONE job and counts them in its row, in one statement (one transaction): only
 * items not final yet change and count, so a replayed delivery never counts twice; the job closes with its
 * last item. One job per statement: a statement locks one jobs row, so two workers' batches cannot deadlock.
 */
const FINISH_SQL = `
WITH input AS (
  SELECT * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::numeric[], $9::numeric[], $10::text[], $11::timestamptz[])
    AS t(id, status, result, error, cached, cost, saved, model, at)
),
done AS (
  UPDATE job_items i SET status = t.status, result = t.result::jsonb, error = t.error, cached = t.cached, cost_usd = t.cost, saved_usd = t.saved,
    model = t.model, finished_at = t.at
  FROM input t
  WHERE i.tenant_id = $1 AND i.job_id = $2 AND i.id = t.id AND i.status NOT IN ('completed', 'failed', 'cancelled')
  RETURNING i.id, t.status, t.cached, t.cost, t.saved, t.at
),
agg AS (
  SELECT count(*) FILTER (WHERE status = 'completed')::int AS c, count(*) FILTER (WHERE status = 'failed')::int AS f,
         count(*) FILTER (WHERE status = 'cancelled')::int AS x, count(*) FILTER (WHERE cached)::int AS h,
         coalesce(sum(cost), 0) AS cost, coalesce(sum(saved), 0) AS saved, max(at) AS at
  FROM done HAVING count(*) > 0
),
counted AS (
  UPDATE jobs j SET
    completed_items = j.completed_items + a.c,
    failed_items = j.failed_items + a.f,
    cancelled_items = j.cancelled_items + a.x,
    cached_items = j.cached_items + a.h,
    cost_usd = j.cost_usd + a.cost,
    saved_usd = j.saved_usd + a.saved,
    status = CASE
      WHEN j.status = 'cancelled' OR j.completed_items + a.c + j.failed_items + a.f + j.cancelled_items + a.x <> j.total_items THEN j.status
      WHEN j.failed_items + a.f = 0 THEN 'completed'
      WHEN j.completed_items + a.c = 0 THEN 'failed'
      ELSE 'completed_with_errors' END,
    finished_at = CASE WHEN j.completed_items + a.c + j.failed_items + a.f + j.cancelled_items + a.x = j.total_items THEN coalesce(j.finished_at, a.at) ELSE j.finished_at END,
    -- A model answered (not the cache): whatever the job waited for is back.
    waiting_reason = CASE WHEN a.c > a.h THEN NULL ELSE j.waiting_reason END,
    waiting_until = CASE WHEN a.c > a.h THEN NULL ELSE j.waiting_until END
  FROM agg a
  WHERE j.tenant_id = $1 AND j.id = $2
  RETURNING j.id, j.tenant_id, j.profile_key, j.profile_version, j.name, j.status, j.priority, j.budget_usd::text AS budget_usd, j.total_items,
    j.completed_items, j.failed_items, j.cached_items, j.cancelled_items, j.cost_usd::text AS cost_usd, j.saved_usd::text AS saved_usd, j.metadata,
    j.idempotency_key, j.request_hash, j.created_by_user_id, j.created_by_api_key_id, j.created_at, j.started_at, j.finished_at,
    j.max_wait_seconds, j.waiting_reason, j.waiting_until, j.publish, j.origin
)
SELECT (SELECT coalesce(json_agg(id), '[]'::json) FROM done) AS changed, (SELECT row_to_json(counted) FROM counted) AS job`;

/** One bucket of a tenant's job activity (see JobsRepository.activity); `bucket` is its UTC start, ISO. */
export interface ActivityBucket {
  bucket: string;
  jobsCreated: number;
  jobsCompleted: number;
  itemsCompleted: number;
  itemsFailed: number;
  itemsCached: number;
}

@Injectable()
export class JobsRepository implements OnApplicationShutdown {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @InjectRepository(JobItemEntity) private readonly items: Repository<JobItemEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * A submitted job's row, whole (its body has been read and checked by now), in the caller's transaction: seen
   * by nobody until that commits. Throws IdempotencyKeyTakenError when the Idempotency-Key is taken.
   */
  async insertJob(manager: EntityManager, job: NewJob & { totalItems: number }): Promise<string> {
    const rows = (await takenKeyAsError(job, manager.query(`${JOB_INSERT} RETURNING id`, jobParams(job)))) as Array<{ id: string }>;
    const [row] = rows;
    if (!row) throw new Error('INSERT INTO jobs returned no row');
    return row.id;
  }

  /**
   * One multi-row insert of a job's items (arrays unnested server-side: a few parameters whatever the count).
   * Items whose index is below `enqueueBelow` are marked handed to the queue in the same statement (a new job's
   * first window); those come back, in index order, for the caller to add to the queue once committed. Should
   * it die in between, the reconciler re-sends them (enqueuedOpenItems).
   */
  async insertItems(
    manager: EntityManager,
    tenantId: string,
    jobId: string,
    items: NewItem[],
    enqueueBelow = 0,
  ): Promise<Array<{ id: string; attempts: number }>> {
    if (items.length === 0) return [];
    return (await manager.query(
      `WITH added AS (${itemsInsert('$1', 2)} RETURNING id, attempts, index, enqueued) SELECT id, attempts FROM added WHERE enqueued ORDER BY index`,
      [jobId, tenantId, ...itemParams(items), enqueueBelow],
    )) as Array<{ id: string; attempts: number }>;
  }

  /**
   * A job and all its items in ONE statement, atomic without a transaction (for a submission that needs no
   * quota check under the tenant's lock and whose items fit one insert): one round trip instead of four. The
   * first `enqueueBelow` items are marked handed to the queue, as insertItems does.
   */
  async insertJobWithItems(
    job: NewJob & { totalItems: number },
    items: NewItem[],
    enqueueBelow: number,
  ): Promise<{ jobId: string; firstWindow: Array<{ id: string; attempts: number }> }> {
    const jobValues = jobParams(job);
    const first = jobValues.length + 1;
    const rows = (await takenKeyAsError(
      job,
      this.db.query(
        `WITH j AS (${JOB_INSERT} RETURNING id),
         added AS (${itemsInsert('(SELECT id FROM j)', first)} RETURNING id, attempts, index, enqueued)
         SELECT (SELECT id FROM j) AS job_id, a.id, a.attempts FROM (SELECT 1) one LEFT JOIN added a ON a.enqueued ORDER BY a.index`,
        [...jobValues, job.tenantId, ...itemParams(items), enqueueBelow],
      ),
    )) as Array<{ job_id: string; id: string | null; attempts: number | null }>;
    const jobId = rows[0]?.job_id;
    if (!jobId) throw new Error('INSERT INTO jobs returned no row');
    return { jobId, firstWindow: rows.filter((r) => r.id !== null).map((r) => ({ id: r.id as string, attempts: r.attempts as number })) };
  }

  /** Items of the tenant's open jobs not finished yet (what runs before anything it submits now). */
  async openItemCount(tenantId: string): Promise<number> {
    const [row] = await this.sql<{ n: number }>(
      `SELECT coalesce(sum(total_items - completed_items - failed_items - cancelled_items), 0)::int AS n FROM jobs WHERE tenant_id = $1 AND status IN ('queued', 'running')`,
      [tenantId],
    );
    return row?.n ?? 0;
  }

  /** The committed job created with this Idempotency-Key, if any. */
  findByIdempotencyKey(tenantId: string, key: string): Promise<JobEntity | null> {
    return this.jobs.findOneBy({ tenantId, idempotencyKey: key });
  }

  /**
   * Claims the job's next items for the queue (marking them enqueued) when fewer than `lowWater` of its
   * enqueued items are still open; SKIP LOCKED lets several feeders run at once without claiming twice.
   */
  async claimForQueue(tenantId: string, jobId: string, window: number, lowWater: number): Promise<Array<{ id: string; attempts: number }>> {
    return this.db.transaction(async (m) => {
      const [{ open }] = (await m.query(
        `SELECT count(*)::int AS open FROM job_items WHERE tenant_id = $1 AND job_id = $2 AND enqueued AND status IN ('queued', 'running')`,
        [tenantId, jobId],
      )) as [{ open: number }];
      if (open >= lowWater) return [];
      const [rows] = (await m.query(
        `UPDATE job_items SET enqueued = true WHERE id IN (
           SELECT id FROM job_items WHERE tenant_id = $1 AND job_id = $2 AND NOT enqueued AND status = 'queued' ORDER BY index LIMIT $3 FOR UPDATE SKIP LOCKED
         ) RETURNING id, attempts, index`,
        [tenantId, jobId, window - open],
      )) as [Array<{ id: string; attempts: number; index: number }>, number];
      return rows.sort((a, b) => a.index - b.index).map(({ id, attempts }) => ({ id, attempts }));
    });
  }

  /** Open jobs (of any tenant: the worker's safety net) created before `before`. */
  /** Open jobs created before `before` (and after `after`, to page on), oldest first. Across tenants: maintenance only. */
  openJobs(before: Date, limit: number, after?: Date): Promise<JobEntity[]> {
    const qb = this.jobs.createQueryBuilder('j').where("j.status IN ('queued', 'running') AND j.created_at < :before", { before });
    if (after) qb.andWhere('j.created_at > :after', { after });
    return qb.orderBy('j.created_at', 'ASC').limit(limit).getMany();
  }

  /** How many of the job's items were handed to the queue and are not final (what the fair queue should hold). */
  async enqueuedOpenCount(tenantId: string, jobId: string): Promise<number> {
    const [row] = (await this.db.query(
      `SELECT count(*)::int AS n FROM job_items WHERE tenant_id = $1 AND job_id = $2 AND enqueued AND status IN ('queued', 'running')`,
      [tenantId, jobId],
    )) as Array<{ n: number }>;
    return row?.n ?? 0;
  }

  /**
   * Items handed to the queue and not final: candidates for re-sending when the queue lost them. A running
   * item counts only once it has run longer than `runningBefore` allows (one in a live worker's hands is
   * left to it).
   */
  async enqueuedOpenItems(tenantId: string, jobId: string, runningBefore: Date): Promise<Array<{ id: string; attempts: number }>> {
    return (await this.db.query(
      `SELECT id, attempts FROM job_items WHERE tenant_id = $1 AND job_id = $2 AND enqueued AND (status = 'queued' OR (status = 'running' AND started_at < $3)) ORDER BY index`,
      [tenantId, jobId, runningBefore],
    )) as Array<{ id: string; attempts: number }>;
  }

  /** Items handed to the queue and not finished (waiting or mid-run): what a Redis that lost its data no longer holds. */
  async enqueuedUnfinishedItems(tenantId: string, jobId: string): Promise<Array<{ id: string; attempts: number }>> {
    return (await this.db.query(
      `SELECT id, attempts FROM job_items WHERE tenant_id = $1 AND job_id = $2 AND enqueued AND status IN ('queued', 'running') ORDER BY index`,
      [tenantId, jobId],
    )) as Array<{ id: string; attempts: number }>;
  }

  async stats(tenantId: string, from: Date, to: Date): Promise<{ jobs: number; items: number; completed: number; failed: number; cached: number }> {
    const [row] = (await this.db.query(
      `SELECT count(*)::int AS jobs, coalesce(sum(total_items), 0)::int AS items, coalesce(sum(completed_items), 0)::int AS completed,
              coalesce(sum(failed_items), 0)::int AS failed, coalesce(sum(cached_items), 0)::int AS cached
       FROM jobs WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3`,
      [tenantId, from, to],
    )) as Array<{ jobs: number; items: number; completed: number; failed: number; cached: number }>;
    return row ?? { jobs: 0, items: 0, completed: 0, failed: 0, cached: 0 };
  }

  /**
   * Per bucket (UTC day or hour) of [from, to): jobs created and finished, items finished as completed / failed /
   * completed from the cache. Items count when they finished; jobs when they were created or finished.
   */
  async activity(tenantId: string, from: Date, to: Date, unit: 'day' | 'hour'): Promise<ActivityBucket[]> {
    return (await this.db.query(
      `WITH created AS (
         SELECT date_trunc($4, created_at AT TIME ZONE 'UTC') AS b, count(*)::int AS n FROM jobs
          WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1),
       finished AS (
         SELECT date_trunc($4, finished_at AT TIME ZONE 'UTC') AS b, count(*)::int AS n FROM jobs
          WHERE tenant_id = $1 AND finished_at >= $2 AND finished_at < $3 AND status IN ('completed', 'completed_with_errors') GROUP BY 1),
       items AS (
         SELECT date_trunc($4, finished_at AT TIME ZONE 'UTC') AS b,
                count(*) FILTER (WHERE status = 'completed')::int AS completed,
                count(*) FILTER (WHERE status = 'failed')::int AS failed,
                count(*) FILTER (WHERE status = 'completed' AND cached)::int AS cached
           FROM job_items WHERE tenant_id = $1 AND finished_at >= $2 AND finished_at < $3 GROUP BY 1)
       SELECT to_char(k.b, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "bucket",
              coalesce(c.n, 0) AS "jobsCreated", coalesce(f.n, 0) AS "jobsCompleted",
              coalesce(i.completed, 0) AS "itemsCompleted", coalesce(i.failed, 0) AS "itemsFailed", coalesce(i.cached, 0) AS "itemsCached"
         FROM (SELECT b FROM created UNION SELECT b FROM finished UNION SELECT b FROM items) k
         LEFT JOIN created c ON c.b = k.b LEFT JOIN finished f ON f.b = k.b LEFT JOIN items i ON i.b = k.b
        ORDER BY k.b`,
      [tenantId, from, to, unit],
    )) as ActivityBucket[];
  }

  /** See JobActivityService.firstResultLatency. */
  async firstResultLatency(tenantId: string, from: Date, now: Date): Promise<{ jobs: number; worstSeconds: number }> {
    const [row] = (await this.db.query(
      `SELECT count(*)::int AS jobs, coalesce(max(extract(epoch FROM coalesce(f.first_at, $3::timestamptz) - j.created_at)), 0)::float8 AS worst
         FROM jobs j
         LEFT JOIN LATERAL (SELECT min(i.finished_at) AS first_at FROM job_items i WHERE i.job_id = j.id AND i.status = 'completed') f ON true
        WHERE j.tenant_id = $1 AND j.created_at >= $2 AND j.created_at < $3
          AND (f.first_at IS NOT NULL OR j.status IN ('queued', 'running'))`,
      [tenantId, from, now],
    )) as Array<{ jobs: number; worst: number }>;
    return { jobs: row?.jobs ?? 0, worstSeconds: Math.max(0, row?.worst ?? 0) };
  }

  findJob(tenantId: string, id: string): Promise<JobEntity | null> {
    return this.jobs.findOneBy({ tenantId, id });
  }

  /**
   * One item of the tenant's with its job's profile: a post made from an item reads its output, feedback on an
   * item is checked against that profile's schema.
   */
  async findItemWithProfile(tenantId: string, itemId: string): Promise<{ item: JobItemEntity; profileKey: string; profileVersion: number } | null> {
    const item = await this.items.findOneBy({ tenantId, id: itemId });
    if (!item) return null;
    const job = await this.jobs.findOne({ where: { tenantId, id: item.jobId }, select: { id: true, profileKey: true, profileVersion: true } });
    return job ? { item, profileKey: job.profileKey, profileVersion: job.profileVersion } : null;
  }

  /**
   * Completed items of jobs that carry a `publish` option, finished in [since, until), oldest first: the publishing
   * module's catch-up for completions whose listener call was lost (a worker that died right after the commit).
   */
  async completedItemsToPublish(
    since: Date,
    until: Date,
    limit: number,
  ): Promise<Array<{ tenantId: string; jobId: string; itemId: string; profileKey: string; publish: JobPublishOption; finishedAt: Date }>> {
    const rows = (await this.db.query(
      `SELECT i.tenant_id, i.job_id, i.id, j.profile_key, j.publish, i.finished_at FROM job_items i JOIN jobs j ON j.id = i.job_id AND j.tenant_id = i.tenant_id
       WHERE j.publish IS NOT NULL AND j.created_at >= $1::timestamptz - interval '30 days' AND i.status = 'completed' AND i.finished_at >= $1 AND i.finished_at < $3
       ORDER BY i.finished_at LIMIT $2`,
      [since, limit, until],
    )) as Array<{ tenant_id: string; job_id: string; id: string; profile_key: string; publish: JobPublishOption; finished_at: Date }>;
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      jobId: r.job_id,
      itemId: r.id,
      profileKey: r.profile_key,
      publish: r.publish,
      finishedAt: new Date(r.finished_at),
    }));
  }

  async listJobs(tenantId: string, options: { status?: JobStatus; limit: number; after?: { createdAt: Date; id: string } }): Promise<JobEntity[]> {
    const qb = this.jobs.createQueryBuilder('j').where('j.tenant_id = :tenantId', { tenantId });
    if (options.status) qb.andWhere('j.status = :status', { status: options.status });
    if (options.after) qb.andWhere('(j.created_at, j.id) < (:at, :id)', { at: options.after.createdAt, id: options.after.id });
    return qb.orderBy('j.created_at', 'DESC').addOrderBy('j.id', 'DESC').limit(options.limit).getMany();
  }

  /** Items of one job in index order, from `afterIndex` on. */
  async listItems(tenantId: string, jobId: string, options: { status?: ItemStatus; limit: number; afterIndex?: number }): Promise<JobItemEntity[]> {
    const qb = this.items.createQueryBuilder('i').where('i.tenant_id = :tenantId AND i.job_id = :jobId', { tenantId, jobId });
    if (options.status) qb.andWhere('i.status = :status', { status: options.status });
    if (options.afterIndex !== undefined) qb.andWhere('i.index > :after', { after: options.afterIndex });
    return qb.orderBy('i.index', 'ASC').limit(options.limit).getMany();
  }

  /**
   * Reads the item and its job and, unless the item is final or the job cancelled, marks the item running
   * (counting the attempt) and the job running when it was still queued — one statement, one round trip.
   * Null when the job does not exist.
   */
  async claimItem(tenantId: string, jobId: string, itemId: string, at: Date): Promise<ClaimedItem | null> {
    const [row] = await this.sql<Record<string, unknown>>(
      `WITH j AS (
         SELECT status, priority, profile_key, profile_version, budget_usd::text AS budget_usd, created_by_user_id, created_by_api_key_id, max_wait_seconds, cache_scope,
           step_models, deadline, batch_deferrable
         FROM jobs WHERE tenant_id = $1 AND id = $2
       ),
       cur AS (SELECT index, status FROM job_items WHERE tenant_id = $1 AND job_id = $2 AND id = $3),
       run AS (
         UPDATE job_items i SET status = 'running', attempts = i.attempts + 1, started_at = coalesce(i.started_at, $4)
         FROM j WHERE i.tenant_id = $1 AND i.job_id = $2 AND i.id = $3 AND i.status IN ('queued', 'running') AND j.status <> 'cancelled'
         RETURNING i.input, i.input_hash, i.attempts, i.waits, i.waiting_since
       ),
       started AS (
         UPDATE jobs SET status = 'running', started_at = coalesce(started_at, $4)
         WHERE tenant_id = $1 AND id = $2 AND status = 'queued' AND EXISTS (SELECT 1 FROM run) RETURNING id
       )
       SELECT j.*, cur.index, cur.status AS item_status, run.input, run.input_hash, run.attempts, run.waits, run.waiting_since, (SELECT count(*) FROM started)::int AS started
       FROM j LEFT JOIN cur ON true LEFT JOIN run ON true`,
      [tenantId, jobId, itemId, at],
      'worker:jobs-claim-item',
    );
    if (!row) return null;
    const running = row['input_hash'] !== null && row['input_hash'] !== undefined;
    return {
      job: {
        // The statement's snapshot predates its own update of a queued job.
        status: (Number(row['started']) > 0 ? 'running' : row['status']) as JobStatus,
        priority: row['priority'] as Priority,
        profileKey: row['profile_key'] as string,
        profileVersion: row['profile_version'] as number,
        budgetUsd: (row['budget_usd'] as string | null) ?? null,
        createdByUserId: (row['created_by_user_id'] as string | null) ?? null,
        createdByApiKeyId: (row['created_by_api_key_id'] as string | null) ?? null,
        maxWaitSeconds: (row['max_wait_seconds'] as number | null) ?? null,
        cacheScope: (row['cache_scope'] as CacheScope | null) ?? null,
        stepModels: (row['step_models'] as Record<string, string> | null) ?? null,
        deadline: date(row['deadline']),
        deferrable: (row['batch_deferrable'] as boolean | null) ?? null,
      },
      item:
        row['item_status'] === null || row['item_status'] === undefined ? null : { index: row['index'] as number, status: row['item_status'] as ItemStatus },
      run: running
        ? {
            input: row['input'],
            inputHash: row['input_hash'] as string,
            attempts: row['attempts'] as number,
            waits: row['waits'] as number,
            waitingSince: date(row['waiting_since']),
          }
        : null,
    };
  }

  /**
   * Puts a running item back to wait for a provider: queued again, this delivery not counted as an attempt,
   * one more wait, and the job says what it waits for and until when. Returns the item's wait count, or null
   * when the item was not running any more (a replayed delivery: nothing to put back).
   */
  async markWaiting(tenantId: string, jobId: string, itemId: string, wait: { at: Date; until: Date; reason: string }): Promise<number | null> {
    const [row] = await this.sql<{ waits: number }>(
      `WITH it AS (
         UPDATE job_items SET status = 'queued', attempts = greatest(attempts - 1, 0), waits = waits + 1, waiting_since = coalesce(waiting_since, $4)
         WHERE tenant_id = $1 AND job_id = $2 AND id = $3 AND status = 'running' RETURNING waits
       ),
       j AS (
         UPDATE jobs SET waiting_reason = $5, waiting_until = $6
         WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'running') AND EXISTS (SELECT 1 FROM it) RETURNING id
       )
       SELECT waits FROM it`,
      [tenantId, jobId, itemId, wait.at, wait.reason.slice(0, 2000), wait.until],
      'worker:jobs-mark-waiting',
    );
    return row?.waits ?? null;
  }

  /** Of these jobs, the ids of those cancelled (the batch tier drops their queued requests). */
  async cancelledAmong(jobs: Array<{ tenantId: string; jobId: string }>): Promise<Set<string>> {
    const rows = await this.sql<{ id: string }>(
      `SELECT j.id FROM jobs j JOIN unnest($1::uuid[], $2::uuid[]) AS t(tenant_id, id) ON j.tenant_id = t.tenant_id AND j.id = t.id WHERE j.status = 'cancelled'`,
      [jobs.map((j) => j.tenantId), jobs.map((j) => j.jobId)],
      'worker:jobs-cancelled-among',
    );
    return new Set(rows.map((r) => r.id));
  }

  /** The job's status (a cheap look before spending on an item that waited). */
  async jobStatus(tenantId: string, jobId: string): Promise<JobStatus | null> {
    const [row] = await this.sql<{ status: JobStatus }>(`SELECT status FROM jobs WHERE tenant_id = $1 AND id = $2`, [tenantId, jobId], 'worker:jobs-status');
    return row?.status ?? null;
  }

  /**
   * Moves an item to a final state and updates the job's counters atomically — only if the item was not final
   * already, so a replayed delivery never counts twice. Closes the job with its last item. Concurrent calls
   * are written together (one statement per job, see FINISH_SQL); resolves once this item's statement has
   * committed, rejects when it could not be written (the item stays open, its delivery is retried).
   */
  finishItem(tenantId: string, jobId: string, itemId: string, outcome: FinalOutcome): Promise<ItemOutcome> {
    return this.finishes.add({ ...outcome, tenantId, jobId, itemId });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.finishes.drain();
  }

  private readonly finishes = new GroupCommit<Finish, ItemOutcome>((rows) => this.writeFinishes(rows), { maxBatch: FINISH_BATCH, parallel: 2 });

  private async writeFinishes(rows: Finish[]): Promise<ItemOutcome[]> {
    const byJob = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const k = `${r.tenantId}/${r.jobId}`;
      const list = byJob.get(k);
      if (list) list.push(i);
      else byJob.set(k, [i]);
    });
    const out: ItemOutcome[] = new Array<ItemOutcome>(rows.length);
    // Jobs in a fixed order, one statement each.
    for (const key of [...byJob.keys()].sort()) {
      const at = byJob.get(key) ?? [];
      const group = at.map((i) => rows[i] as Finish);
      const first = group[0] as Finish;
      const [res] = await this.sql<{ changed: string[]; job: Record<string, unknown> | null }>(
        FINISH_SQL,
        [
          first.tenantId,
          first.jobId,
          group.map((r) => r.itemId),
          group.map((r) => r.status),
          group.map((r) => (r.result === undefined ? null : JSON.stringify(r.result))),
          group.map((r) => r.error ?? null),
          group.map((r) => r.cached ?? false),
          group.map((r) => r.costUsd ?? '0'),
          group.map((r) => r.savedUsd ?? '0'),
          group.map((r) => r.model ?? null),
          group.map((r) => r.at),
        ],
        'worker:jobs-finish-items',
      );
      const fresh = new Set(res?.changed ?? []);
      // A repeated item counts once: its first occurrence.
      const changed = at.filter((i) => fresh.delete((rows[i] as Finish).itemId));
      const jobRow = res?.job ? toJobEntity(res.job) : null;
      const done = jobRow !== null && jobRow.completedItems + jobRow.failedItems + jobRow.cancelledItems === jobRow.totalItems;
      // The job finished with this statement: the last changed item of it reports it (once).
      const lastChanged = changed.at(-1);
      for (const i of at) {
        const isChanged = changed.includes(i);
        out[i] = { changed: isChanged, job: isChanged ? jobRow : null, finished: done && i === lastChanged };
      }
    }
    return out;
  }

  private get pool(): Pool {
    // The pg pool TypeORM holds: the hot path skips TypeORM's query runner per statement.
    return (this.db.driver as PostgresDriver).master as Pool;
  }

  /** `name`: prepared once per connection (the hot statements: Postgres parses and plans them once). */
  private async sql<T>(text: string, values: unknown[], name?: string): Promise<T[]> {
    return (await this.pool.query({ text, values, ...(name ? { name } : {}) })).rows as T[];
  }

  /** Cancels the job and every item not started yet; running items finish (their cost is already incurred). */
  async cancel(tenantId: string, jobId: string, at: Date): Promise<JobEntity | null> {
    return this.db.transaction(async (m) => {
      const [jobs] = (await m.query(`UPDATE jobs SET status = 'cancelled' WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'running') RETURNING id`, [
        tenantId,
        jobId,
      ])) as [unknown[], number];
      if (jobs.length) {
        const [items] = (await m.query(
          `UPDATE job_items SET status = 'cancelled', finished_at = $3 WHERE tenant_id = $1 AND job_id = $2 AND status = 'queued' RETURNING id`,
          [tenantId, jobId, at],
        )) as [unknown[], number];
        await m.query(
          `UPDATE jobs SET cancelled_items = cancelled_items + $3,
             finished_at = CASE WHEN completed_items + failed_items + cancelled_items + $3 = total_items THEN $4 ELSE finished_at END
           WHERE tenant_id = $1 AND id = $2`,
          [tenantId, jobId, items.length, at],
        );
      }
      return m.findOneBy(JobEntity, { tenantId, id: jobId });
    });
  }

  /** Puts failed items back in the queue; returns their ids. */
  async requeueFailed(tenantId: string, jobId: string): Promise<string[]> {
    return this.db.transaction(async (m) => {
      const [items] = (await m.query(
        // waits + 1: the new run's calls get ledger attempt ids of their own (the item's first run used its
        // delivery numbers already); a re-delivery of one queue entry keeps its ids, so it books nothing twice
        `UPDATE job_items SET status = 'queued', enqueued = false, error = NULL, finished_at = NULL, waiting_since = NULL, waits = waits + 1
         WHERE tenant_id = $1 AND job_id = $2 AND status = 'failed' RETURNING id`,
        [tenantId, jobId],
      )) as [Array<{ id: string }>, number];
      if (items.length) {
        await m.query(
          `UPDATE jobs SET failed_items = failed_items - $3, status = CASE WHEN started_at IS NULL THEN 'queued' ELSE 'running' END, finished_at = NULL
           WHERE tenant_id = $1 AND id = $2`,
          [tenantId, jobId, items.length],
        );
      }
      return items.map((i) => i.id);
    });
  }

  isTerminal(status: ItemStatus): boolean {
    return TERMINAL.includes(status);
  }
}
