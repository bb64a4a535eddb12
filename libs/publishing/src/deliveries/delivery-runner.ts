import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig, Clock, OutboundPolicy, validatePayload } from '@margin/core';
import { IsUUID } from 'class-validator';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { EndpointsService } from '../endpoints/endpoints.service';
import type { PostEntity } from '../posts/post.entity';
import { PostsRepository } from '../posts/posts.repository';
import { blogPostUrl } from '../targets/blog.target';
import { PublishError, type RemoteState, type TargetPost } from '../targets/publish-target';
import { NATIVE_SCHEDULING, PUBLISH_TARGETS, type PublishTargets } from '../targets/target-registry';
import { nextRetryDelay } from './backoff';
import { DeliveriesRepository } from './deliveries.repository';
import type { DeliveryEntity } from './delivery.entity';
import { DeliveryEvents } from './delivery-events';
import { DeliveryQueue } from './delivery-queue';
import { PublishingSettings } from './publishing-settings';

class DeliveryCommand {
  @IsUUID() tenantId!: string;
  @IsUUID() deliveryId!: string;
}

/** Deterministic per (post, endpoint): the delivery's id, stored on the remote copy so `find` sees an earlier create. */
export const markerOf = (d: Pick<DeliveryEntity, 'id'>) => d.id;

const MAX_ERROR = 2000;

/**
 * One delivery attempt: claim with a lease → look the copy up by its marker when none is recorded (a create
 * that landed before a worker died is found, not made twice) → create or update it → record it. Transient
 * failures come back with backoff (at least the platform's Retry-After); permanent ones fail at once with the
 * platform's reason.
 */
@Injectable()
export class DeliveryRunner {
  private readonly logger = new Logger(DeliveryRunner.name);

  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly endpointsRepo: EndpointsRepository,
    private readonly endpoints: EndpointsService,
    private readonly posts: PostsRepository,
    private readonly queue: DeliveryQueue,
    private readonly events: DeliveryEvents,
    private readonly outbound: OutboundPolicy,
    private readonly settings: PublishingSettings,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(PUBLISH_TARGETS) private readonly targets: PublishTargets,
  ) {}

  async run(data: unknown): Promise<void> {
    const { tenantId, deliveryId } = validatePayload(DeliveryCommand, data, 'delivery payload');
    const now = this.clock.now();
    const claimed = await this.deliveries.claim(tenantId, deliveryId, now, new Date(now.getTime() + this.settings.leaseMs));
    if (!claimed) return; // not due, done already, or another worker's
    await this.events.updated(claimed);
    try {
      await this.attempt(claimed);
    } catch (err) {
      await this.failed(claimed, err);
    }
  }

  private async attempt(d: DeliveryEntity): Promise<void> {
    const endpoint = await this.endpointsRepo.find(d.tenantId, d.endpointId);
    if (!endpoint) throw new PublishError('the endpoint was deleted', 'permanent');
    if (!endpoint.enabled) throw new PublishError('the endpoint is disabled', 'permanent');
    const post = await this.posts.find(d.tenantId, d.postId);
    if (!post) throw new PublishError('the post was deleted', 'permanent');
    const target = this.targets.get(endpoint.type);
    if (!target) throw new PublishError(`${endpoint.type} endpoints are not available in this installation`, 'permanent');
    if (endpoint.url) {
      const why = this.outbound.refusal(endpoint.url);
      if (why) throw new PublishError(`url ${why}`, 'permanent');
    }
    const te = this.endpoints.targetEndpoint(endpoint);
    const tp = await this.targetPost(post);
    const marker = markerOf(d);
    let remoteId = d.remoteId;
    if (!remoteId) {
      const found = await target.find(te, tp, marker);
      if (found) {
        await this.deliveries.recordRemote(d.tenantId, d.id, found.remoteId, found.remoteUrl);
        remoteId = found.remoteId;
        this.logger.log({ tenantId: d.tenantId, deliveryId: d.id }, 'Found the remote copy an earlier attempt made: updating it');
      }
    }
    const scheduledAt = d.scheduledAt && NATIVE_SCHEDULING.has(endpoint.type) && d.scheduledAt.getTime() > this.clock.now().getTime() ? d.scheduledAt : null;
    const copy = await target.publish(te, tp, {
      marker,
      remoteId,
      scheduledAt,
      event: d.publishedAt || d.remoteId ? 'post.updated' : 'post.published',
      revision: d.revision,
    });
    // recorded before anything else can fail: a retry then updates this copy
    await this.deliveries.recordRemote(d.tenantId, d.id, copy.remoteId, copy.remoteUrl);
    // the copy as the platform now has it: sync back compares later reads with this
    const baseline: RemoteState | null = await target.read(te, copy.remoteId).catch(() => null);
    const at = this.clock.now();
    const done = await this.deliveries.markPublished(d.tenantId, d.id, d, {
      status: copy.state,
      remoteId: copy.remoteId,
      remoteUrl: copy.remoteUrl,
      at,
      remoteModifiedAt: baseline?.modifiedAt ?? null,
      remoteHash: baseline?.contentHash ?? null,
    });
    if (!done) {
      this.logger.warn({ tenantId: d.tenantId, deliveryId: d.id }, 'Delivery claim lost while it was published (lease expired); the sweep resolved it');
      return;
    }
    await this.posts.markDelivered(d.tenantId, d.postId, copy.state, at);
    await this.events.updated(done);
    await this.followUp(d, done, true);
    this.logger.log({ tenantId: d.tenantId, deliveryId: d.id, endpointId: d.endpointId, state: copy.state, attempt: d.attempts }, 'Delivered');
  }

  private async failed(d: DeliveryEntity, err: unknown): Promise<void> {
    const message = ((err as Error)?.message ?? String(err)).slice(0, MAX_ERROR);
    const permanent = err instanceof PublishError && err.kind === 'permanent';
    const now = this.clock.now();
    const delay = permanent ? null : nextRetryDelay(this.settings.backoff, d.attempts, err instanceof PublishError ? err.options.retryAfterMs : undefined);
    let after: DeliveryEntity | null;
    if (delay === null) {
      const why = permanent ? message : `gave up after ${d.attempts} attempts: ${message}`;
      after = await this.deliveries.markFailed(d.tenantId, d.id, d, why, now);
      this.logger.warn({ tenantId: d.tenantId, deliveryId: d.id, attempt: d.attempts, permanent }, `Delivery failed: ${why}`);
    } else {
      after = await this.deliveries.markRetry(d.tenantId, d.id, d, message, new Date(now.getTime() + delay), now);
      if (after && after.revision === d.revision) {
        await this.events.updated(after);
        await this.queue.enqueue(after, delay);
      }
      this.logger.warn({ tenantId: d.tenantId, deliveryId: d.id, attempt: d.attempts, retryInMs: delay }, `Delivery attempt failed: ${message}`);
    }
    if (after?.status === 'failed') await this.events.updated(after);
    if (after) await this.followUp(d, after, after.status === 'failed');
  }

  /** A publish request came in while this claim ran (its revision moved on): the delivery goes out again for it. */
  private async followUp(claimed: DeliveryEntity, after: DeliveryEntity, emitted: boolean): Promise<void> {
    if (after.revision === claimed.revision) return;
    if (!emitted) await this.events.updated(after);
    const delay = after.nextAttemptAt ? Math.max(0, after.nextAttemptAt.getTime() - this.clock.now().getTime()) : 0;
    await this.queue.enqueue(after, delay);
    this.logger.log({ tenantId: claimed.tenantId, deliveryId: claimed.id, revision: after.revision }, 'Published again for the request that came in meanwhile');
  }

  /** The post as targets see it, with its address on the tenant's own blog when it has one. */
  async targetPost(post: PostEntity): Promise<TargetPost> {
    const blog = await this.endpointsRepo.blogOf(post.tenantId);
    // linked only when the post goes to the blog too (a link elsewhere would be a dead one)
    const onBlog = blog?.enabled && (await this.deliveries.listByPost(post.tenantId, post.id)).some((x) => x.endpointId === blog.id && x.status !== 'failed');
    return {
      id: post.id,
      title: post.title,
      content: post.content,
      excerpt: post.excerpt,
      slug: post.slug,
      tags: post.tags,
      featuredImageUrl: post.featuredImageUrl,
      canonicalUrl: post.canonicalUrl,
      blogUrl: blog?.publicSlug && onBlog ? blogPostUrl(this.config.publicUrl, blog.publicSlug, post.slug) : null,
      publishedAt: post.publishedAt,
    };
  }
}
