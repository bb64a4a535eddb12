import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { PUBLISHING_JOBS, QUEUES } from '@margin/contracts';
import type { Job, Queue } from 'bull';
import { JobPublisher } from '../jobs/job-publisher';
import { DeliveryRunner } from './delivery-runner';
import { DeliverySweeper } from './delivery-sweeper';
import { PublishingSettings } from './publishing-settings';

/** Deliveries run a few at a time per worker: they wait on remote platforms, not on this CPU. */
const DELIVERY_CONCURRENCY = 4;

@Processor(QUEUES.publishing)
export class PublishingProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(PublishingProcessor.name);

  constructor(
    private readonly runner: DeliveryRunner,
    private readonly sweeper: DeliverySweeper,
    private readonly jobs: JobPublisher,
    private readonly settings: PublishingSettings,
    @InjectQueue(QUEUES.publishing) private readonly queue: Queue,
  ) {}

  /** The sweep and sync back as repeatable jobs: one schedule per installation, whichever worker runs them. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queue.add(
      PUBLISHING_JOBS.sweep,
      {},
      { repeat: { every: this.settings.sweepEveryMs }, jobId: PUBLISHING_JOBS.sweep, removeOnComplete: true, removeOnFail: true },
    );
    await this.queue.add(
      PUBLISHING_JOBS.syncBack,
      {},
      { repeat: { every: this.settings.syncEveryMs }, jobId: PUBLISHING_JOBS.syncBack, removeOnComplete: true, removeOnFail: true },
    );
  }

  @Process({ name: PUBLISHING_JOBS.deliver, concurrency: DELIVERY_CONCURRENCY })
  async deliver(job: Job<unknown>): Promise<void> {
    await this.runner.run(job.data);
  }

  @Process(PUBLISHING_JOBS.sweep)
  async sweep(): Promise<void> {
    const touched = await this.sweeper.sweep();
    const caught = await this.jobs.catchUp();
    if (touched || caught) this.logger.log({ touched, caught }, 'Publishing sweep');
  }

  @Process(PUBLISHING_JOBS.syncBack)
  async syncBack(): Promise<void> {
    const read = await this.sweeper.syncBack();
    if (read) this.logger.debug({ read }, 'Sync back');
  }
}
