import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { PUBLISHING_JOBS, QUEUES, type DeliveryJobPayload } from '@margin/contracts';
import type { Queue } from 'bull';
import type { DeliveryEntity } from './delivery.entity';

/**
 * Queue entries carry only (tenant, delivery): the row decides what to do when one runs. The entry id names
 * the delivery, its revision and attempt, so adding the same step twice (a sweep and a retry racing) queues
 * it once; Margin counts attempts itself (Bull's own attempts stay 1) so that it can honour Retry-After.
 */
@Injectable()
export class DeliveryQueue {
  constructor(@InjectQueue(QUEUES.publishing) private readonly queue: Queue) {}

  async enqueue(d: Pick<DeliveryEntity, 'id' | 'tenantId' | 'revision' | 'attempts'>, delayMs = 0): Promise<void> {
    const payload: DeliveryJobPayload = { tenantId: d.tenantId, deliveryId: d.id };
    await this.queue.add(PUBLISHING_JOBS.deliver, payload, {
      jobId: `${d.id}:${d.revision}:${d.attempts}`,
      delay: Math.max(0, Math.round(delayMs)),
      attempts: 1,
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }
}
