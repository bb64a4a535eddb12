import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENTS_CHANNEL, type DeliveryUpdatedEvent } from '@margin/contracts';
import { REDIS } from '@margin/core';
import type Redis from 'ioredis';
import type { DeliveryEntity } from './delivery.entity';

/**
 * `delivery.updated` to the tenant's room: published on EVENTS_CHANNEL, relayed by every API instance's
 * progress gateway to its own sockets. Best effort: GET /posts/:id/deliveries stays the truth.
 */
@Injectable()
export class DeliveryEvents {
  private readonly logger = new Logger(DeliveryEvents.name);

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async updated(d: Pick<DeliveryEntity, 'tenantId' | 'id' | 'postId' | 'endpointId' | 'status'>): Promise<void> {
    const event: DeliveryUpdatedEvent = { postId: d.postId, deliveryId: d.id, endpointId: d.endpointId, status: d.status };
    try {
      await this.redis.publish(EVENTS_CHANNEL, JSON.stringify({ type: 'delivery.updated', tenantId: d.tenantId, ...event }));
    } catch (err) {
      this.logger.warn(`delivery.updated for ${d.id} not sent: ${(err as Error).message}`);
    }
  }
}
