import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DeliveryView, JobPublishOption, PublishRequestBody, PublishResponse } from '@margin/contracts';
import { JobPublishCheck } from '@margin/analysis';
import { Clock, ConflictError, DomainError, NotFoundError } from '@margin/core';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { EndpointsService } from '../endpoints/endpoints.service';
import type { EndpointEntity } from '../endpoints/endpoint.entity';
import { PostsRepository } from '../posts/posts.repository';
import { PublishingInputError } from '../publishing.errors';
import { PublishError } from '../targets/publish-target';
import { NATIVE_SCHEDULING, PUBLISH_TARGETS, type PublishTargets } from '../targets/target-registry';
import { toDeliveryView } from '../views';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveryEvents } from './delivery-events';
import { DeliveryQueue } from './delivery-queue';

/** The platform would not take the scheduled copy back: nothing changed, the delivery stays scheduled. */
export class UnscheduleFailedError extends DomainError {
  readonly code = 'unschedule_failed';
  readonly httpStatus = 502;
}

/**
 * Publish requests: one delivery per (post, endpoint), queued. A remote copy edited or deleted on its
 * platform (sync back's conflict flag) is never overwritten silently: publishing over it needs `force`, else
 * 409. Also the check of a blog-post job's `publish` option at submission (JobPublishCheck).
 */
@Injectable()
export class PublishService extends JobPublishCheck {
  private readonly logger = new Logger(PublishService.name);

  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly endpoints: EndpointsRepository,
    private readonly posts: PostsRepository,
    private readonly queue: DeliveryQueue,
    private readonly events: DeliveryEvents,
    private readonly endpointsService: EndpointsService,
    private readonly clock: Clock,
    @Inject(PUBLISH_TARGETS) private readonly targets: PublishTargets,
  ) {
    super();
  }

  async check(tenantId: string, option: JobPublishOption): Promise<void> {
    await this.usableEndpoints(tenantId, option.endpointIds, 'publish.endpointIds');
    this.scheduledAt(option.scheduledAt, 'publish.scheduledAt');
  }

  async publish(tenantId: string, postId: string, req: PublishRequestBody): Promise<PublishResponse> {
    const post = await this.posts.find(tenantId, postId);
    if (!post) throw new NotFoundError('Post');
    if (post.status === 'archived') throw new ConflictError('the post is archived: set its status to draft to publish it again');
    const endpoints = await this.usableEndpoints(tenantId, req.endpointIds, 'endpointIds');
    const scheduledAt = this.scheduledAt(req.scheduledAt, 'scheduledAt');
    if (!req.force) {
      const conflicted = (await this.deliveries.listByPost(tenantId, postId)).filter((d) => d.conflict && req.endpointIds.includes(d.endpointId));
      if (conflicted.length)
        throw new ConflictError(
          `the remote copy on endpoint ${conflicted.map((d) => `${d.endpointId} was ${d.conflict} remotely`).join(', ')}: publish with force: true to overwrite it`,
        );
    }
    return { deliveries: await this.request(tenantId, postId, endpoints, scheduledAt, req.force ?? false) };
  }

  /** The job option's path: the endpoints still usable are published to; the others are skipped, and logged. */
  async publishFromJob(tenantId: string, postId: string, option: JobPublishOption): Promise<void> {
    const found = await this.endpoints.findMany(tenantId, option.endpointIds);
    const usable = found.filter((e) => e.enabled);
    if (usable.length < option.endpointIds.length)
      this.logger.warn(
        { tenantId, postId, asked: option.endpointIds.length, usable: usable.length },
        'Some endpoints of the job were deleted or disabled since',
      );
    const at = option.scheduledAt ? new Date(option.scheduledAt) : null;
    const scheduledAt = at && at.getTime() > this.clock.now().getTime() ? at : null;
    const existing = new Set((await this.deliveries.listByPost(tenantId, postId)).map((d) => d.endpointId));
    // a replayed completion: what was requested already is not requested again
    const missing = usable.filter((e) => !existing.has(e.id));
    if (missing.length) await this.request(tenantId, postId, missing, scheduledAt, false);
  }

  async listDeliveries(tenantId: string, postId: string): Promise<DeliveryView[]> {
    if (!(await this.posts.find(tenantId, postId))) throw new NotFoundError('Post');
    return (await this.deliveries.listByPost(tenantId, postId)).map(toDeliveryView);
  }

  async retry(tenantId: string, deliveryId: string): Promise<DeliveryView> {
    const d = await this.deliveries.find(tenantId, deliveryId);
    if (!d) throw new NotFoundError('Delivery');
    const reset = await this.deliveries.retry(tenantId, deliveryId, this.clock.now());
    if (!reset) throw new ConflictError(`the delivery is ${d.status}: only a failed or pending delivery can be retried`);
    await this.events.updated(reset);
    await this.queue.enqueue(reset);
    return toDeliveryView(reset);
  }

  /**
   * Takes a scheduled delivery back before it goes out. Where the platform holds the scheduled copy (WordPress,
   * Ghost), it is turned back into a draft there first; a queued publication is voided. Publishing again
   * (now or at another time) updates that same copy.
   */
  async unschedule(tenantId: string, deliveryId: string): Promise<DeliveryView> {
    const d = await this.deliveries.find(tenantId, deliveryId);
    if (!d) throw new NotFoundError('Delivery');
    if (d.status !== 'scheduled') throw new ConflictError(`the delivery is ${d.status}: only a scheduled delivery can be unscheduled`);
    if (d.remoteId) {
      const endpoint = await this.endpoints.find(tenantId, d.endpointId);
      const target = endpoint ? this.targets.get(endpoint.type) : undefined;
      if (endpoint && target?.unschedule) {
        try {
          await target.unschedule(this.endpointsService.targetEndpoint(endpoint), d.remoteId);
        } catch (err) {
          const why = err instanceof PublishError ? err.message : 'the platform could not be reached';
          throw new UnscheduleFailedError(`The scheduled copy could not be taken back (${why}); it stays scheduled`);
        }
      }
    }
    const now = this.clock.now();
    const cancelled = await this.deliveries.cancel(tenantId, deliveryId, now);
    if (!cancelled) throw new ConflictError('the delivery is being published right now: try again in a moment');
    await this.posts.unscheduled(tenantId, d.postId, now);
    await this.events.updated(cancelled);
    this.logger.log({ tenantId, deliveryId, endpointId: d.endpointId }, 'Scheduled delivery taken back');
    return toDeliveryView(cancelled);
  }

  private async request(
    tenantId: string,
    postId: string,
    endpoints: EndpointEntity[],
    scheduledAt: Date | null,
    force: boolean,
  ): Promise<PublishResponse['deliveries']> {
    const now = this.clock.now();
    const out: PublishResponse['deliveries'] = [];
    for (const e of endpoints) {
      // the platform's own scheduler where there is one (published now, held there); else the queue waits
      const native = scheduledAt !== null && NATIVE_SCHEDULING.has(e.type);
      const d = await this.deliveries.request(tenantId, postId, e.id, {
        status: scheduledAt ? 'scheduled' : 'pending',
        scheduledAt,
        nextAttemptAt: scheduledAt && !native ? scheduledAt : null,
        clearConflict: force,
        at: now,
      });
      // the event first: the worker's next one (publishing) then always follows it
      await this.events.updated(d);
      await this.queue.enqueue(d, scheduledAt && !native ? scheduledAt.getTime() - now.getTime() : 0);
      out.push({ id: d.id, endpointId: d.endpointId, status: d.status });
    }
    if (scheduledAt) await this.posts.markDelivered(tenantId, postId, 'scheduled', now);
    this.logger.log({ tenantId, postId, endpoints: endpoints.length, scheduledAt }, 'Publish requested');
    return out;
  }

  private async usableEndpoints(tenantId: string, ids: readonly string[], field: string): Promise<EndpointEntity[]> {
    const found = await this.endpoints.findMany(tenantId, ids);
    const byId = new Map(found.map((e) => [e.id, e]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length) throw new PublishingInputError(`${field}: no endpoint ${missing.join(', ')} in this tenant`);
    const disabled = found.filter((e) => !e.enabled);
    if (disabled.length) throw new PublishingInputError(`${field}: endpoint ${disabled.map((e) => e.id).join(', ')} is disabled`);
    return ids.map((id) => byId.get(id) as EndpointEntity);
  }

  private scheduledAt(raw: string | undefined, field: string): Date | null {
    if (raw === undefined) return null;
    const at = new Date(raw);
    if (Number.isNaN(at.getTime())) throw new PublishingInputError(`${field} must be an ISO 8601 time`);
    if (at.getTime() <= this.clock.now().getTime()) throw new PublishingInputError(`${field} must be in the future`);
    if (at.getTime() > this.clock.now().getTime() + 366 * 86_400_000) throw new PublishingInputError(`${field} must be within a year`);
    return at;
  }
}
