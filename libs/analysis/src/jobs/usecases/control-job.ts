import { Injectable, Logger } from '@nestjs/common';
import type { JobView } from '@margin/contracts';
import { Clock, ConflictError, NotFoundError } from '@margin/core';
import type { Principal } from '@margin/identity';
import { ProgressPublisher } from '../../progress/progress.publisher';
import { JobFeeder } from '../job-feeder';
import { toCounters, toJobView } from '../job-views';
import { JobsRepository } from '../jobs.repository';

/** What a member does to a running job: cancel it, or queue its failed items again. */
@Injectable()
export class ControlJob {
  private readonly logger = new Logger(ControlJob.name);

  constructor(
    private readonly repo: JobsRepository,
    private readonly feeder: JobFeeder,
    private readonly progress: ProgressPublisher,
    private readonly clock: Clock,
  ) {}

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
