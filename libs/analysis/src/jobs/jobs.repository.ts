import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { ItemStatus, JobStatus } from '@margin/contracts';
import { DataSource, type EntityManager, Repository } from 'typeorm';
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
}

export interface NewItem {
  index: number;
  input: unknown;
  inputHash: string;
}

/** Counters after an item reached a final state; `finished` when this was the job's last open item. */
export interface ItemOutcome {
  changed: boolean;
  job: JobEntity;
  finished: boolean;
}

const TERMINAL: ItemStatus[] = ['completed', 'failed', 'cancelled'];
const INSERT_BATCH = 1000;

@Injectable()
export class JobsRepository {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @InjectRepository(JobItemEntity) private readonly items: Repository<JobItemEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Inserts the job and its items in the caller's transaction (multi-row inserts, a thousand at a time). */
  async insertJobWithItems(manager: EntityManager, job: NewJob, items: NewItem[]): Promise<JobEntity> {
    const saved = await manager.save(
      manager.create(JobEntity, {
        ...job,
        status: 'queued',
        totalItems: items.length,
        completedItems: 0,
        failedItems: 0,
        cachedItems: 0,
        cancelledItems: 0,
        costUsd: '0',
        savedUsd: '0',
        startedAt: null,
        finishedAt: null,
      }),
    );
    for (let i = 0; i < items.length; i += INSERT_BATCH) {
      const batch = items.slice(i, i + INSERT_BATCH);
      const values: unknown[] = [];
      const rows = batch.map((it, n) => {
        values.push(saved.id, job.tenantId, it.index, JSON.stringify(it.input), it.inputHash);
        const b = n * 5;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}::jsonb, $${b + 5}, 'queued')`;
      });
      await manager.query(`INSERT INTO job_items (job_id, tenant_id, index, input, input_hash, status) VALUES ${rows.join(', ')}`, values);
    }
    return saved;
  }

  findByIdempotencyKey(manager: EntityManager, tenantId: string, key: string): Promise<JobEntity | null> {
    return manager.findOneBy(JobEntity, { tenantId, idempotencyKey: key });
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
  openJobs(before: Date, limit: number): Promise<JobEntity[]> {
    return this.jobs.createQueryBuilder('j').where("j.status IN ('queued', 'running') AND j.created_at < :before", { before }).orderBy('j.created_at', 'ASC').limit(limit).getMany();
  }

  /** Items handed to the queue but not finished, of a job that has not started: candidates for re-sending. */
  async enqueuedOpenItems(tenantId: string, jobId: string): Promise<Array<{ id: string; attempts: number }>> {
    return (await this.db.query(`SELECT id, attempts FROM job_items WHERE tenant_id = $1 AND job_id = $2 AND enqueued AND status = 'queued' ORDER BY index`, [
      tenantId,
      jobId,
    ])) as Array<{ id: string; attempts: number }>;
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

  findJob(tenantId: string, id: string): Promise<JobEntity | null> {
    return this.jobs.findOneBy({ tenantId, id });
  }

  async listJobs(tenantId: string, options: { status?: JobStatus; limit: number; after?: { createdAt: Date; id: string } }): Promise<JobEntity[]> {
    const qb = this.jobs.createQueryBuilder('j').where('j.tenant_id = :tenantId', { tenantId });
    if (options.status) qb.andWhere('j.status = :status', { status: options.status });
    if (options.after) qb.andWhere('(j.created_at, j.id) < (:at, :id)', { at: options.after.createdAt, id: options.after.id });
    return qb.orderBy('j.created_at', 'DESC').addOrderBy('j.id', 'DESC').limit(options.limit).getMany();
  }

  findItem(tenantId: string, id: string): Promise<JobItemEntity | null> {
    return this.items.findOneBy({ tenantId, id });
  }

  /** Items of one job in index order, from `afterIndex` on. */
  async listItems(tenantId: string, jobId: string, options: { status?: ItemStatus; limit: number; afterIndex?: number }): Promise<JobItemEntity[]> {
    const qb = this.items.createQueryBuilder('i').where('i.tenant_id = :tenantId AND i.job_id = :jobId', { tenantId, jobId });
    if (options.status) qb.andWhere('i.status = :status', { status: options.status });
    if (options.afterIndex !== undefined) qb.andWhere('i.index > :after', { after: options.afterIndex });
    return qb.orderBy('i.index', 'ASC').limit(options.limit).getMany();
  }

  async itemIds(tenantId: string, jobId: string, status: ItemStatus): Promise<string[]> {
    const rows = (await this.db.query(`SELECT id FROM job_items WHERE tenant_id = $1 AND job_id = $2 AND status = $3 ORDER BY index`, [tenantId, jobId, status])) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  /** Marks an item running (counting the attempt) and its job running when it was still queued. False when the item is already final. */
  async markRunning(tenantId: string, jobId: string, itemId: string, at: Date): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const [rows] = (await m.query(
        `UPDATE job_items SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, $4)
         WHERE tenant_id = $1 AND job_id = $2 AND id = $3 AND status IN ('queued', 'running') RETURNING id`,
        [tenantId, jobId, itemId, at],
      )) as [unknown[], number];
      if (rows.length === 0) return false;
      await m.query(`UPDATE jobs SET status = 'running', started_at = coalesce(started_at, $3) WHERE tenant_id = $1 AND id = $2 AND status = 'queued'`, [tenantId, jobId, at]);
      return true;
    });
  }

  /**
   * Moves an item to a final state and updates the job's counters in the same transaction — only if the item
   * was not final already, so a replayed delivery never counts twice. Closes the job with its last item.
   */
  async finishItem(
    tenantId: string,
    jobId: string,
    itemId: string,
    outcome: { status: 'completed' | 'failed' | 'cancelled'; result?: unknown; error?: string | null; cached?: boolean; costUsd?: string; savedUsd?: string; model?: string | null; at: Date },
  ): Promise<ItemOutcome> {
    return this.db.transaction(async (m) => {
      const [changed] = (await m.query(
        `UPDATE job_items SET status = $4, result = $5::jsonb, error = $6, cached = $7, cost_usd = $8, saved_usd = $9, model = $10, finished_at = $11
         WHERE tenant_id = $1 AND job_id = $2 AND id = $3 AND status NOT IN ('completed', 'failed', 'cancelled') RETURNING id`,
        [
          tenantId,
          jobId,
          itemId,
          outcome.status,
          outcome.result === undefined ? null : JSON.stringify(outcome.result),
          outcome.error ?? null,
          outcome.cached ?? false,
          outcome.costUsd ?? '0',
          outcome.savedUsd ?? '0',
          outcome.model ?? null,
          outcome.at,
        ],
      )) as [unknown[], number];
      if (changed.length === 0) {
        const job = await m.findOneByOrFail(JobEntity, { tenantId, id: jobId });
        return { changed: false, job, finished: false };
      }
      const [updated] = (await m.query(
        `UPDATE jobs SET
           completed_items = completed_items + $3,
           failed_items = failed_items + $4,
           cancelled_items = cancelled_items + $5,
           cached_items = cached_items + $6,
           cost_usd = cost_usd + $7,
           saved_usd = saved_usd + $8
         WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [
          tenantId,
          jobId,
          outcome.status === 'completed' ? 1 : 0,
          outcome.status === 'failed' ? 1 : 0,
          outcome.status === 'cancelled' ? 1 : 0,
          outcome.cached ? 1 : 0,
          outcome.costUsd ?? '0',
          outcome.savedUsd ?? '0',
        ],
      )) as [Array<Record<string, unknown>>, number];
      const row = updated[0] as { completed_items: number; failed_items: number; cancelled_items: number; total_items: number; status: JobStatus };
      const done = row.completed_items + row.failed_items + row.cancelled_items === row.total_items;
      if (done && row.status !== 'cancelled') {
        const status: JobStatus = row.failed_items === 0 ? 'completed' : row.completed_items === 0 ? 'failed' : 'completed_with_errors';
        await m.query(`UPDATE jobs SET status = $3, finished_at = $4 WHERE tenant_id = $1 AND id = $2`, [tenantId, jobId, status, outcome.at]);
      } else if (done) {
        await m.query(`UPDATE jobs SET finished_at = coalesce(finished_at, $3) WHERE tenant_id = $1 AND id = $2`, [tenantId, jobId, outcome.at]);
      }
      const job = await m.findOneByOrFail(JobEntity, { tenantId, id: jobId });
      return { changed: true, job, finished: done };
    });
  }

  /** Cancels the job and every item not started yet; running items finish (their cost is already incurred). */
  async cancel(tenantId: string, jobId: string, at: Date): Promise<JobEntity | null> {
    return this.db.transaction(async (m) => {
      const [jobs] = (await m.query(`UPDATE jobs SET status = 'cancelled' WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'running') RETURNING id`, [tenantId, jobId])) as [unknown[], number];
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
        `UPDATE job_items SET status = 'queued', enqueued = false, error = NULL, finished_at = NULL WHERE tenant_id = $1 AND job_id = $2 AND status = 'failed' RETURNING id`,
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
