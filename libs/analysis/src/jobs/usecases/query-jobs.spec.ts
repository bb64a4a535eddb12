import { decodeCursor, ManualClock, NotFoundError } from '@margin/core';
import { strictMock } from '@margin/testing';
import { JOB, makeJobRow, makePrincipal, TENANT } from '../__tests__/job-fixtures';
import { JobItemEntity } from '../job-item.entity';
import type { JobsRepository } from '../jobs.repository';
import { QueryJobs } from './query-jobs';

const NOW = new Date('2026-11-20T08:00:00Z');
const item = (index: number) =>
  Object.assign(new JobItemEntity(), {
    id: `i${index}`,
    index,
    status: 'completed',
    input: {},
    result: null,
    cached: false,
    costUsd: '0',
    model: null,
    error: null,
    attempts: 1,
  });

describe('QueryJobs', () => {
  it('pages jobs newest first: one row more than asked tells whether there is a next page, whose cursor is the last row shown', async () => {
    const id = (n: number) => `0000000${n}-0000-4000-8000-000000000000`;
    const rows = [1, 2, 3].map((n) => makeJobRow({ id: id(n), createdAt: new Date(NOW.getTime() - n * 1000) }));
    const repo = strictMock<JobsRepository>({ listJobs: async (_t, o) => rows.filter((r) => !o.after || r.createdAt < o.after.createdAt).slice(0, o.limit) });
    const queries = new QueryJobs(repo, new ManualClock(NOW));
    const first = await queries.list(makePrincipal(), { limit: 2 });
    expect(repo.listJobs).toHaveBeenCalledWith(TENANT, { status: undefined, limit: 3, after: undefined });
    expect(first.data.map((j) => j.id)).toEqual([id(1), id(2)]);
    expect(decodeCursor(first.nextCursor as string)).toEqual({ createdAt: rows[1]?.createdAt, id: id(2) });
    const second = await queries.list(makePrincipal(), { limit: 2, cursor: first.nextCursor as string });
    expect(repo.listJobs).toHaveBeenLastCalledWith(TENANT, { status: undefined, limit: 3, after: { createdAt: rows[1]?.createdAt, id: id(2) } });
    expect(second).toMatchObject({ data: [{ id: id(3) }], nextCursor: null });
  });

  it('streams results a thousand items at a time until a short page', async () => {
    const pages = [Array.from({ length: 1000 }, (_, i) => item(i)), [item(1000), item(1001)]];
    const repo = strictMock<JobsRepository>({ findJob: async () => makeJobRow(), listItems: async () => pages.shift() ?? [] });
    const seen: number[] = [];
    for await (const it of new QueryJobs(repo, new ManualClock(NOW)).results(makePrincipal(), JOB)) seen.push(it.index);
    expect(seen).toHaveLength(1002);
    expect(repo.listItems.mock.calls.map((c) => c[2])).toEqual([
      { limit: 1000, afterIndex: -1 },
      { limit: 1000, afterIndex: 999 },
    ]);
  });

  it('another tenant’s job is not found (404 for reads, null counters for the progress feed)', async () => {
    const repo = strictMock<JobsRepository>({ findJob: async () => null });
    const queries = new QueryJobs(repo, new ManualClock(NOW));
    await expect(queries.get(makePrincipal(), JOB)).rejects.toBeInstanceOf(NotFoundError);
    await expect(queries.items(makePrincipal(), JOB, {})).rejects.toBeInstanceOf(NotFoundError);
    await expect(queries.counters(TENANT, JOB)).resolves.toBeNull();
  });

  it('stats default to this month up to now, with the cache hit rate of completed items to 3 decimals', async () => {
    const repo = strictMock<JobsRepository>({ stats: async () => ({ jobs: 2, items: 9, completed: 3, failed: 1, cached: 1 }) });
    const stats = await new QueryJobs(repo, new ManualClock(NOW)).stats(makePrincipal(), {});
    expect(repo.stats).toHaveBeenCalledWith(TENANT, new Date('2026-11-01T00:00:00Z'), new Date(NOW.getTime() + 1));
    expect(stats).toMatchObject({ from: '2026-11-01T00:00:00.000Z', jobs: 2, completed: 3, cacheHitRate: 0.333 });
  });
});
