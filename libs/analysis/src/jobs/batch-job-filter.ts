import { Injectable, type OnModuleInit } from '@nestjs/common';
import { BatchTierService } from '@margin/model-router';
import { JobsRepository } from './jobs.repository';

/** Tells the batch tier which jobs were cancelled, so that their queued requests are dropped, never sent or charged. */
@Injectable()
export class BatchJobFilter implements OnModuleInit {
  constructor(
    private readonly tier: BatchTierService,
    private readonly repo: JobsRepository,
  ) {}

  onModuleInit(): void {
    this.tier.setUnwantedJobs((jobs) => this.repo.cancelledAmong(jobs));
  }
}
