import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DeliveryEngagement } from '@margin/contracts';
import { Clock } from '@margin/core';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { EndpointsService } from '../endpoints/endpoints.service';
import { PostsRepository } from '../posts/posts.repository';
import { PUBLISH_TARGETS, type PublishTargets } from '../targets/target-registry';
import { DeliveriesRepository } from './deliveries.repository';
import type { DeliveryEntity } from './delivery.entity';
import { DeliveryEvents } from './delivery-events';
import { DeliveryQueue } from './delivery-queue';
import { DeliveryRunner, markerOf } from './delivery-runner';
import { PublishingSettings } from './publishing-settings';

const BATCH = 100;
/** A due delivery whose queue entry has not run this long after it was due: Redis lost it. */
const OVERDUE_GRACE_MS = 2 * 60_000;
/** A remote modification time this much after the baseline counts as an edit (platform clocks round). */
const EDIT_TOLERANCE_MS = 1_000;

/**
 * Never stuck, never silently overwritten. The sweep resolves deliveries left in `publishing` past their
 * lease (a worker that died or hung): the remote copy is looked up by its marker, recorded when it is there,
 * and the delivery goes back to the queue (a publish is an idempotent update once the copy is known). Sync
 * back reads each published copy: deleted or edited on its platform → a conflict flag, engagement recorded.
 */
@Injectable()
export class DeliverySweeper {
  private readonly logger = new Logger(DeliverySweeper.name);

  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly endpointsRepo: EndpointsRepository,
    private readonly endpoints: EndpointsService,
    private readonly posts: PostsRepository,
    private readonly runner: DeliveryRunner,
    private readonly queue: DeliveryQueue,
    private readonly events: DeliveryEvents,
    private readonly settings: PublishingSettings,
    private readonly clock: Clock,
    @Inject(PUBLISH_TARGETS) private readonly targets: PublishTargets,
  ) {}

  /** Stuck deliveries resolved and lost queue entries re-sent; returns how many were touched. */
  async sweep(): Promise<number> {
    let touched = 0;
    const now = this.clock.now();
    for (const d of await this.deliveries.stuck(now, BATCH)) {
      try {
        if (await this.resolveStuck(d)) touched++;
      } catch (err) {
        this.logger.warn({ tenantId: d.tenantId, deliveryId: d.id }, `Resolving a stuck delivery failed: ${(err as Error).message}`);
      }
    }
    for (const d of await this.deliveries.overdue(new Date(now.getTime() - OVERDUE_GRACE_MS), BATCH)) {
      await this.queue.enqueue(d);
      touched++;
    }
    return touched;
  }

  private async resolveStuck(d: DeliveryEntity): Promise<boolean> {
    const endpoint = await this.endpointsRepo.find(d.tenantId, d.endpointId);
    const post = await this.posts.find(d.tenantId, d.postId);
    const target = endpoint ? this.targets.get(endpoint.type) : undefined;
    if (endpoint && post && target && !d.remoteId) {
      // the create may have landed before the worker died: record it, so the retry updates it
      const found = await target.find(this.endpoints.targetEndpoint(endpoint), await this.runner.targetPost(post), markerOf(d)).catch(() => null);
      if (found) await this.deliveries.recordRemote(d.tenantId, d.id, found.remoteId, found.remoteUrl);
    }
    if (d.attempts >= this.settings.backoff.maxAttempts) {
      // a post whose every attempt takes its worker down must not loop forever
      const why = `gave up after ${d.attempts} attempts: the worker publishing it stopped before it finished each time`;
      const failed = await this.deliveries.markFailed(d.tenantId, d.id, d, why, this.clock.now());
      if (failed) await this.events.updated(failed);
      return failed !== null;
    }
    const released = await this.deliveries.releaseStuck(
      d.tenantId,
      d.id,
      d.attempts,
      this.clock.now(),
      'the worker publishing it stopped before it finished; retried',
    );
    if (!released) return false;
    this.logger.warn({ tenantId: d.tenantId, deliveryId: d.id, attempt: d.attempts }, 'Delivery was stuck in publishing past its lease: queued again');
    await this.events.updated(released);
    await this.queue.enqueue(released);
    return true;
  }

  /** Reads back published copies not read for a sync interval; returns how many it read. */
  async syncBack(): Promise<number> {
    const now = this.clock.now();
    const due = await this.deliveries.toSync(new Date(now.getTime() - this.settings.syncEveryMs), BATCH);
    let read = 0;
    for (const d of due) {
      try {
        await this.syncOne(d);
        read++;
      } catch (err) {
        this.logger.warn({ tenantId: d.tenantId, deliveryId: d.id }, `Sync back failed: ${(err as Error).message}`);
      }
    }
    return read;
  }

  private async syncOne(d: DeliveryEntity): Promise<void> {
    const endpoint = await this.endpointsRepo.find(d.tenantId, d.endpointId);
    const target = endpoint ? this.targets.get(endpoint.type) : undefined;
    if (!endpoint || !target || !d.remoteId) return;
    const state = await target.read(this.endpoints.targetEndpoint(endpoint), d.remoteId);
    const at = this.clock.now();
    let conflict: 'edited' | 'deleted' | null = null;
    let baseline: { modifiedAt: Date | null; hash: string | null } | undefined;
    if (!state.exists) conflict = 'deleted';
    else {
      const modifiedAt = state.modifiedAt ?? null;
      const hash = state.contentHash ?? null;
      const edited =
        (d.remoteModifiedAt !== null && modifiedAt !== null && modifiedAt.getTime() > d.remoteModifiedAt.getTime() + EDIT_TOLERANCE_MS) ||
        (d.remoteHash !== null && hash !== null && hash !== d.remoteHash);
      if (edited) conflict = 'edited';
      // nothing to compare with yet (the read after the write failed): this read is the baseline
      else if ((d.remoteModifiedAt === null && modifiedAt) || (d.remoteHash === null && hash))
        baseline = { modifiedAt: d.remoteModifiedAt ?? modifiedAt, hash: d.remoteHash ?? hash };
    }
    const status = state.exists && state.state === 'published' ? 'published' : d.status === 'scheduled' ? 'scheduled' : 'published';
    const updated = await this.deliveries.recordSync(
      d.tenantId,
      d.id,
      { status: d.status, updatedAt: d.updatedAt },
      { conflict, engagement: (state.engagement as DeliveryEngagement | undefined) ?? null, status, remoteUrl: state.remoteUrl ?? null, at, baseline },
    );
    if (!updated) return; // published again meanwhile: the next round reads the new copy
    if (conflict) this.logger.warn({ tenantId: d.tenantId, deliveryId: d.id, conflict }, 'Remote copy changed on its platform: flagged, not overwritten');
    if (status === 'published' && d.status === 'scheduled') await this.posts.markDelivered(d.tenantId, d.postId, 'published', at);
    await this.rollUp(d.tenantId, d.postId);
    if (conflict || status !== d.status) await this.events.updated(updated);
  }

  /** The post's conflict flag and engagement: over all its deliveries. */
  private async rollUp(tenantId: string, postId: string): Promise<void> {
    const all = await this.deliveries.listByPost(tenantId, postId);
    const engagement: DeliveryEngagement = {};
    let any = false;
    for (const d of all) {
      for (const [k, v] of Object.entries(d.engagement ?? {}) as Array<[keyof DeliveryEngagement, number | undefined]>) {
        if (typeof v !== 'number') continue;
        engagement[k] = (engagement[k] ?? 0) + v;
        any = true;
      }
    }
    await this.posts.setSyncState(tenantId, postId, { conflict: all.some((d) => d.conflict !== null), engagement: any ? engagement : null });
  }
}
