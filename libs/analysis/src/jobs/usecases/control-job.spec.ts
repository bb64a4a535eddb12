import { ConflictError, ManualClock, NotFoundError } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { ProgressPublisher } from '../../progress/progress.publisher';
import { JOB, makeJobRow, makePrincipal, TENANT } from '../__tests__/job-fixtures';
import type { JobFeeder } from '../job-feeder';
import type { JobEntity } from '../job.entity';
import type { JobsRepository } from '../jobs.repository';
import { ControlJob } from './control-job';

const NOW = new Date('2026-11-20T08:00:00Z');

function setup(repoImpl: Partial<JobsRepository>, feederImpl: Partial<JobFeeder> = {}) {
  const repo = strictMock<JobsRepository>(repoImpl);
  const feeder = strictMock<JobFeeder>(feederImpl);
  const progress = strictMock<ProgressPublisher>({ jobCompleted: async () => undefined });
  return { control: new ControlJob(repo, feeder, progress, new ManualClock(NOW)), repo, feeder, progress };
}

describe('ControlJob', () => {
  describe('cancel', () => {
    const cancelled = makeJobRow({ status: 'cancelled', totalItems: 4, completedItems: 1, cancelledItems: 3, finishedAt: NOW });

    it('cancels in the database, takes the job out of the fair queue and tells the progress feed it is over', async () => {
      const s = setup({ cancel: async () => cancelled }, { drop: async () => 3 });
      const view = await s.control.cancel(makePrincipal(), JOB);
      expect(s.repo.cancel).toHaveBeenCalledWith(TENANT, JOB, NOW);
      expect(s.feeder.drop).toHaveBeenCalledWith(JOB);
      expect(s.progress.jobCompleted).toHaveBeenCalledWith(
        TENANT,
        expect.objectContaining({ jobId: JOB, status: 'cancelled', percentage: 100, etaSeconds: 0 }),
      );
      expect(view).toMatchObject({ id: JOB, status: 'cancelled', cancelledItems: 3 });
    });

    it('a fair queue that cannot be reached does not fail the cancel (its items finish as cancelled at $0)', async () => {
      const s = setup({ cancel: async () => cancelled }, { drop: async () => Promise.reject(new Error('redis down')) });
      await expect(s.control.cancel(makePrincipal(), JOB)).resolves.toMatchObject({ status: 'cancelled' });
      expect(s.progress.jobCompleted).toHaveBeenCalled();
    });

    it('a job of another tenant, or none, is a 404 and nothing else happens', async () => {
      const s = setup({ cancel: async () => null });
      await expect(s.control.cancel(makePrincipal(), JOB)).rejects.toBeInstanceOf(NotFoundError);
      expect(s.progress.jobCompleted).not.toHaveBeenCalled();
    });
  });

  describe('retry', () => {
    it('queues the failed items again and feeds the job at once, answering the job as it is now', async () => {
      const rows: Array<JobEntity | null> = [
        makeJobRow({ status: 'completed_with_errors', failedItems: 2, priority: 'low' }),
        makeJobRow({ status: 'running', failedItems: 0, priority: 'low' }),
      ];
      const s = setup({ findJob: async () => rows.shift() ?? null, requeueFailed: async () => ['a', 'b'] }, { feed: async () => 2 });
      const view = await s.control.retry(makePrincipal(), JOB);
      expect(s.repo.requeueFailed).toHaveBeenCalledWith(TENANT, JOB);
      expect(s.feeder.feed).toHaveBeenCalledWith(TENANT, JOB, 'low', { force: true });
      expect(view).toMatchObject({ id: JOB, status: 'running', failedItems: 0, retriedItems: 2 });
    });

    it('a cancelled job cannot be retried (409): nothing is queued', async () => {
      const s = setup({ findJob: async () => makeJobRow({ status: 'cancelled' }), requeueFailed: async () => [] }, { feed: async () => 0 });
      await expect(s.control.retry(makePrincipal(), JOB)).rejects.toBeInstanceOf(ConflictError);
      expect(s.repo.requeueFailed).not.toHaveBeenCalled();
      expect(s.feeder.feed).not.toHaveBeenCalled();
    });

    it('an unknown job is a 404', async () => {
      const s = setup({ findJob: async () => null });
      await expect(s.control.retry(makePrincipal(), JOB)).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
