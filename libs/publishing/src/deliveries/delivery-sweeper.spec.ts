import { ManualClock } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { EndpointEntity } from '../endpoints/endpoint.entity';
import type { EndpointsRepository } from '../endpoints/endpoints.repository';
import type { EndpointsService } from '../endpoints/endpoints.service';
import type { PostEntity } from '../posts/post.entity';
import type { PostsRepository } from '../posts/posts.repository';
import type { PublishTarget, RemoteCopy, RemoteState } from '../targets/publish-target';
import type { PublishTargets } from '../targets/target-registry';
import type { DeliveriesRepository } from './deliveries.repository';
import type { DeliveryEntity } from './delivery.entity';
import type { DeliveryEvents } from './delivery-events';
import type { DeliveryQueue } from './delivery-queue';
import type { DeliveryRunner } from './delivery-runner';
import { DeliverySweeper } from './delivery-sweeper';
import type { PublishingSettings } from './publishing-settings';

const TENANT = '11111111-1111-4111-8111-111111111111';
const NOW = new Date('2026-12-02T10:00:00Z');
const WRITTEN = new Date('2026-12-02T09:00:00Z');

const delivery = (over: Partial<DeliveryEntity> = {}): DeliveryEntity =>
  ({
    id: 'd-1',
    tenantId: TENANT,
    postId: 'post-1',
    endpointId: 'ep-1',
    status: 'published',
    revision: 1,
    remoteId: 'r-1',
    remoteUrl: null,
    attempts: 1,
    remoteModifiedAt: WRITTEN,
    remoteHash: null,
    conflict: null,
    engagement: null,
    updatedAt: WRITTEN,
    leaseUntil: null,
    ...over,
  }) as DeliveryEntity;

function setup(d: DeliveryEntity, state: RemoteState | null, found: RemoteCopy | null = null) {
  const deliveries = strictMock<DeliveriesRepository>({
    toSync: async () => [d],
    stuck: async () => [d],
    overdue: async () => [],
    recordSync: async (_t, _id, _seen, s) => ({ ...d, conflict: s.conflict, status: s.status, engagement: s.engagement }) as DeliveryEntity,
    listByPost: async () => [{ ...d, engagement: state?.engagement ?? null, conflict: null }] as DeliveryEntity[],
    recordRemote: async () => undefined,
    releaseStuck: async () => ({ ...d, status: 'pending' }) as DeliveryEntity,
    markFailed: async (_t, _id, _a, error) => ({ ...d, status: 'failed', lastError: error }) as DeliveryEntity,
  });
  const endpoint = { id: 'ep-1', tenantId: TENANT, type: 'ghost', enabled: true } as EndpointEntity;
  const endpointsRepo = strictMock<EndpointsRepository>({ find: async () => endpoint });
  const endpoints = strictMock<EndpointsService>({ targetEndpoint: () => ({}) as never });
  const posts = strictMock<PostsRepository>({
    find: async () => ({ id: 'post-1' }) as PostEntity,
    markDelivered: async () => undefined,
    setSyncState: async () => undefined,
  });
  const runner = strictMock<DeliveryRunner>({ targetPost: async () => ({}) as never });
  const queue = strictMock<DeliveryQueue>({ enqueue: async () => undefined });
  const events = strictMock<DeliveryEvents>({ updated: async () => undefined });
  const target = strictMock<PublishTarget>({ type: 'ghost', read: async () => state as RemoteState, find: async () => found });
  const targets: PublishTargets = new Map([['ghost', target]]);
  const settings: PublishingSettings = { leaseMs: 1000, backoff: { baseMs: 1, maxMs: 1, maxAttempts: 3, jitter: 0 }, sweepEveryMs: 1000, syncEveryMs: 1000 };
  const sweeper = new DeliverySweeper(deliveries, endpointsRepo, endpoints, posts, runner, queue, events, settings, new ManualClock(NOW), targets);
  return { sweeper, deliveries, posts, queue, target };
}

describe('DeliverySweeper › sync back', () => {
  it('flags a copy deleted on its platform', async () => {
    const s = setup(delivery(), { exists: false });
    await s.sweeper.syncBack();
    expect(s.deliveries.recordSync).toHaveBeenCalledWith(
      TENANT,
      'd-1',
      { status: 'published', updatedAt: WRITTEN },
      expect.objectContaining({ conflict: 'deleted' }),
    );
  });

  it('flags a copy modified after Margin wrote it, and not one modified within the tolerance', async () => {
    const edited = setup(delivery(), { exists: true, state: 'published', modifiedAt: new Date(WRITTEN.getTime() + 60_000) });
    await edited.sweeper.syncBack();
    expect(edited.deliveries.recordSync).toHaveBeenCalledWith(TENANT, 'd-1', expect.anything(), expect.objectContaining({ conflict: 'edited' }));
    const same = setup(delivery(), { exists: true, state: 'published', modifiedAt: new Date(WRITTEN.getTime() + 500) });
    await same.sweeper.syncBack();
    expect(same.deliveries.recordSync).toHaveBeenCalledWith(TENANT, 'd-1', expect.anything(), expect.objectContaining({ conflict: null }));
  });

  it('flags a copy whose content fingerprint changed', async () => {
    const s = setup(delivery({ remoteModifiedAt: null, remoteHash: 'abc' }), { exists: true, state: 'published', contentHash: 'def' });
    await s.sweeper.syncBack();
    expect(s.deliveries.recordSync).toHaveBeenCalledWith(TENANT, 'd-1', expect.anything(), expect.objectContaining({ conflict: 'edited' }));
  });

  it('records engagement on the delivery and the post, and a platform-scheduled copy seen published', async () => {
    const s = setup(delivery({ status: 'scheduled' }), { exists: true, state: 'published', modifiedAt: WRITTEN, engagement: { likes: 3, comments: 2 } });
    await s.sweeper.syncBack();
    expect(s.deliveries.recordSync).toHaveBeenCalledWith(
      TENANT,
      'd-1',
      expect.anything(),
      expect.objectContaining({ conflict: null, status: 'published', engagement: { likes: 3, comments: 2 } }),
    );
    expect(s.posts.markDelivered).toHaveBeenCalledWith(TENANT, 'post-1', 'published', NOW);
    expect(s.posts.setSyncState).toHaveBeenCalledWith(TENANT, 'post-1', { conflict: false, engagement: { likes: 3, comments: 2 } });
  });
});

describe('DeliverySweeper › stuck deliveries', () => {
  it('records the copy a dead worker created, then queues the delivery again (an update now)', async () => {
    const s = setup(delivery({ status: 'publishing', remoteId: null, leaseUntil: new Date(NOW.getTime() - 1000) }), null, {
      remoteId: 'made-before-death',
      remoteUrl: null,
      state: 'published',
    });
    expect(await s.sweeper.sweep()).toBe(1);
    expect(s.target.find).toHaveBeenCalledWith(expect.anything(), expect.anything(), 'd-1');
    expect(s.deliveries.recordRemote).toHaveBeenCalledWith(TENANT, 'd-1', 'made-before-death', null);
    expect(s.deliveries.releaseStuck).toHaveBeenCalledWith(TENANT, 'd-1', 1, NOW, expect.any(String));
    expect(s.queue.enqueue).toHaveBeenCalledWith(expect.objectContaining({ status: 'pending' }));
  });

  it('fails a delivery whose worker died on every attempt instead of looping', async () => {
    const s = setup(delivery({ status: 'publishing', remoteId: 'r-1', attempts: 3, leaseUntil: new Date(NOW.getTime() - 1000) }), null);
    expect(await s.sweeper.sweep()).toBe(1);
    expect(s.deliveries.markFailed).toHaveBeenCalledWith(
      TENANT,
      'd-1',
      expect.objectContaining({ attempts: 3 }),
      expect.stringMatching(/^gave up after 3 attempts/),
      NOW,
    );
    expect(s.deliveries.releaseStuck).not.toHaveBeenCalled();
    expect(s.queue.enqueue).not.toHaveBeenCalled();
  });
});
