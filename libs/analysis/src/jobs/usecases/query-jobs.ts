import { Injectable } from '@nestjs/common';
import type { ItemStatus, JobCounters, JobItemView, JobStats, JobStatus, JobView, Page } from '@margin/contracts';
import { Clock, decodeCursor, encodeCursor, monthPeriodUtc, NotFoundError } from '@margin/core';
import type { Principal } from '@margin/identity';
import { JobCountersReader } from '../../progress/job-counters.reader';
import { toCounters, toItemView, toJobView } from '../job-views';
import { JobsRepository } from '../jobs.repository';

/** Items read per page when a job's results stream. */
const RESULTS_PAGE = 1000;

/** A tenant's jobs as they are: lists, one job, its items and results, stats. Reads only. */
@Injectable()
export class QueryJobs extends JobCountersReader {
  constructor(
    private readonly repo: JobsRepository,
    private readonly clock: Clock,
  ) {
    super();
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
    await this.assertJob(principal, jobId);
    const limit = query.limit ?? 50;
    const rows = await this.repo.listItems(principal.tenantId, jobId, { status: query.status, limit: limit + 1, afterIndex: query.cursor });
    const page = rows.slice(0, limit);
    return { data: page.map(toItemView), nextCursor: rows.length > limit ? String(page.at(-1)?.index) : null };
  }

  /** Every item in index order, a page at a time (results of big jobs stream without being held in memory). */
  async *results(principal: Principal, jobId: string): AsyncGenerator<JobItemView> {
    await this.assertJob(principal, jobId);
    let after = -1;
    for (;;) {
      const page = await this.repo.listItems(principal.tenantId, jobId, { limit: RESULTS_PAGE, afterIndex: after });
      for (const item of page) yield toItemView(item);
      if (page.length < RESULTS_PAGE) return;
      after = page.at(-1)?.index ?? after;
    }
  }

  async assertJob(principal: Principal, jobId: string): Promise<void> {
    if (!(await this.repo.findJob(principal.tenantId, jobId))) throw new NotFoundError('Job');
  }
}
