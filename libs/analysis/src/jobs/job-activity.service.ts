import { Injectable } from '@nestjs/common';
import { type ActivityBucket, JobsRepository } from './jobs.repository';

export type { ActivityBucket } from './jobs.repository';

/** A tenant's job and item activity over time, for the metrics' KPIs, time series and daily roll-ups. */
@Injectable()
export class JobActivityService {
  constructor(private readonly repo: JobsRepository) {}

  /** Buckets of [from, to) that saw activity, in order (days or hours, UTC). */
  buckets(tenantId: string, from: Date, to: Date, unit: 'day' | 'hour'): Promise<ActivityBucket[]> {
    return this.repo.activity(tenantId, from, to, unit);
  }

  /**
   * Jobs created in [from, now) and the slowest one's seconds from creation to its first completed item (a job
   * without one yet that is still queued or running counts with how long it has waited until `now`; a job that
   * ended without a result — failed, cancelled — is left out: it says nothing about latency).
   */
  firstResultLatency(tenantId: string, from: Date, now: Date): Promise<{ jobs: number; worstSeconds: number }> {
    return this.repo.firstResultLatency(tenantId, from, now);
  }

  /** The same figures summed over exactly [from, to). */
  async totals(tenantId: string, from: Date, to: Date): Promise<Omit<ActivityBucket, 'bucket'>> {
    const sum = { jobsCreated: 0, jobsCompleted: 0, itemsCompleted: 0, itemsFailed: 0, itemsCached: 0 };
    for (const b of await this.repo.activity(tenantId, from, to, 'day')) {
      sum.jobsCreated += b.jobsCreated;
      sum.jobsCompleted += b.jobsCompleted;
      sum.itemsCompleted += b.itemsCompleted;
      sum.itemsFailed += b.itemsFailed;
      sum.itemsCached += b.itemsCached;
    }
    return sum;
  }
}
