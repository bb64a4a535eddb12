import { ConflictError, ManualClock } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { EndpointEntity } from '../endpoints/endpoint.entity';
import type { EndpointsService } from '../endpoints/endpoints.service';
import type { EndpointsRepository } from '../endpoints/endpoints.repository';
import type { PostEntity } from '../posts/post.entity';
import type { PostsRepository } from '../posts/posts.repository';
import { PublishingInputError } from '../publishing.errors';
import type { DeliveriesRepository } from './deliveries.repository';
import type { DeliveryEntity } from './delivery.entity';
import type { DeliveryEvents } from './delivery-events';
import type { DeliveryQueue } from './delivery-queue';
import { PublishService, UnscheduleFailedError } from './publish.service';
import { PublishError, type PublishTarget } from '../targets/publish-target';

const TENANT = '11111111-1111-4111-8111-111111111111';
const NOW = new Date('2026-12-02T10:00:00Z');
const HOOK = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const GHOST = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

function setup(options: { existing?: Partial<DeliveryEntity>[]; disabled?: boolean } = {}) {
  const endpoints: Record<string, EndpointEntity> = {
    [HOOK]: { id: HOOK, tenantId: TENANT, type: 'webhook', enabled: !options.disabled } as EndpointEntity,
    [GHOST]: { id: GHOST, tenantId: TENANT, type: 'ghost', enabled: true } as EndpointEntity,
  };
  const deliveries = strictMock<DeliveriesRepository>({
    listByPost: async () => (options.existing ?? []) as DeliveryEntity[],
    request: async (_t, postId, endpointId, r) =>
      ({ id: `d-${endpointId}`, tenantId: TENANT, postId, endpointId, status: r.status, revision: 1, attempts: 0 }) as DeliveryEntity,
  });
  const endpointsRepo = strictMock<EndpointsRepository>({
    findMany: async (_t, ids) => ids.map((id) => endpoints[id]).filter((e): e is EndpointEntity => !!e),
  });
  const posts = strictMock<PostsRepository>({ find: async () => ({ id: 'post-1', status: 'draft' }) as PostEntity, markDelivered: async () => undefined });
  const queue = strictMock<DeliveryQueue>({ enqueue: async () => undefined });
  const events = strictMock<DeliveryEvents>({ updated: async () => undefined });
  const service = new PublishService(deliveries, endpointsRepo, posts, queue, events, strictMock<EndpointsService>(), new ManualClock(NOW), new Map());
  return { service, deliveries, queue, posts };
}

describe('PublishService', () => {
  it('queues one delivery per endpoint at once', async () => {
    const s = setup();
    const res = await s.service.publish(TENANT, 'post-1', { endpointIds: [HOOK] });
    expect(res.deliveries).toEqual([{ id: `d-${HOOK}`, endpointId: HOOK, status: 'pending' }]);
    expect(s.queue.enqueue).toHaveBeenCalledWith(expect.objectContaining({ id: `d-${HOOK}` }), 0);
  });

  it('schedules: a delayed queue entry where the platform has no scheduler, the platform itself where it has one', async () => {
    const s = setup();
    const at = new Date(NOW.getTime() + 3_600_000);
    await s.service.publish(TENANT, 'post-1', { endpointIds: [HOOK, GHOST], scheduledAt: at.toISOString() });
    expect(s.deliveries.request).toHaveBeenCalledWith(
      TENANT,
      'post-1',
      HOOK,
      expect.objectContaining({ status: 'scheduled', scheduledAt: at, nextAttemptAt: at }),
    );
    expect(s.deliveries.request).toHaveBeenCalledWith(
      TENANT,
      'post-1',
      GHOST,
      expect.objectContaining({ status: 'scheduled', scheduledAt: at, nextAttemptAt: null }),
    );
    expect(s.queue.enqueue).toHaveBeenCalledWith(expect.objectContaining({ endpointId: HOOK }), 3_600_000);
    expect(s.queue.enqueue).toHaveBeenCalledWith(expect.objectContaining({ endpointId: GHOST }), 0);
    expect(s.posts.markDelivered).toHaveBeenCalledWith(TENANT, 'post-1', 'scheduled', NOW);
  });

  it('refuses a time in the past, an endpoint of another tenant, and a disabled one, naming the field', async () => {
    const s = setup();
    await expect(s.service.publish(TENANT, 'post-1', { endpointIds: [HOOK], scheduledAt: '2020-01-01T00:00:00Z' })).rejects.toThrow(
      'scheduledAt must be in the future',
    );
    await expect(s.service.publish(TENANT, 'post-1', { endpointIds: ['cccccccc-cccc-4ccc-8ccc-cccccccccccc'] })).rejects.toThrow(PublishingInputError);
    await expect(setup({ disabled: true }).service.publish(TENANT, 'post-1', { endpointIds: [HOOK] })).rejects.toThrow(/endpointIds: endpoint .* is disabled/);
    expect(s.deliveries.request).not.toHaveBeenCalled();
  });

  it('never overwrites a remote edit silently: 409 unless force, and force clears the conflict', async () => {
    const s = setup({ existing: [{ endpointId: HOOK, conflict: 'edited' }] });
    await expect(s.service.publish(TENANT, 'post-1', { endpointIds: [HOOK] })).rejects.toThrow(ConflictError);
    expect(s.deliveries.request).not.toHaveBeenCalled();
    await s.service.publish(TENANT, 'post-1', { endpointIds: [HOOK], force: true });
    expect(s.deliveries.request).toHaveBeenCalledWith(TENANT, 'post-1', HOOK, expect.objectContaining({ clearConflict: true }));
  });

  it('checks a job option like a publish request, under its own field names', async () => {
    const s = setup();
    await expect(s.service.check(TENANT, { endpointIds: ['cccccccc-cccc-4ccc-8ccc-cccccccccccc'] })).rejects.toThrow(/^publish\.endpointIds: no endpoint/);
    await expect(s.service.check(TENANT, { endpointIds: [HOOK] })).resolves.toBeUndefined();
  });

  describe('unschedule', () => {
    const DELIVERY = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
    function unscheduling(delivery: Partial<DeliveryEntity>, options: { remoteFails?: boolean } = {}) {
      const d = {
        id: DELIVERY,
        tenantId: TENANT,
        postId: 'post-1',
        endpointId: GHOST,
        status: 'scheduled',
        remoteId: 'ghost-7',
        ...delivery,
      } as DeliveryEntity;
      const order: string[] = [];
      const deliveries = strictMock<DeliveriesRepository>({
        find: async () => d,
        cancel: async () => {
          order.push('cancel');
          return { ...d, status: 'cancelled', scheduledAt: null, revision: 2, updatedAt: NOW } as DeliveryEntity;
        },
      });
      const endpointsRepo = strictMock<EndpointsRepository>({
        find: async () => ({ id: GHOST, tenantId: TENANT, type: 'ghost', enabled: true }) as EndpointEntity,
      });
      const posts = strictMock<PostsRepository>({ unscheduled: async () => void order.push('post draft') });
      const events = strictMock<DeliveryEvents>({ updated: async () => void order.push('event') });
      const target = {
        type: 'ghost',
        unschedule: jest.fn(async () => {
          if (options.remoteFails) throw new PublishError('503 from PUT /posts/ghost-7', 'transient');
          order.push('remote draft');
        }),
      } as unknown as PublishTarget;
      const endpointsService = strictMock<EndpointsService>({ targetEndpoint: () => ({ id: GHOST }) as never });
      const service = new PublishService(
        deliveries,
        endpointsRepo,
        posts,
        strictMock<DeliveryQueue>(),
        events,
        endpointsService,
        new ManualClock(NOW),
        new Map([['ghost', target]]),
      );
      return { service, order, target, deliveries };
    }

    it('turns the platform’s scheduled copy back into a draft first, then cancels the delivery and tells the feed', async () => {
      const s = unscheduling({});
      expect((await s.service.unschedule(TENANT, DELIVERY)).status).toBe('cancelled');
      expect(s.order).toEqual(['remote draft', 'cancel', 'post draft', 'event']);
    });

    it('a delivery not yet at the platform (queued for later) is only cancelled', async () => {
      const s = unscheduling({ remoteId: null });
      await s.service.unschedule(TENANT, DELIVERY);
      expect(s.order).toEqual(['cancel', 'post draft', 'event']);
      expect(s.target.unschedule).not.toHaveBeenCalled();
    });

    it('a platform that will not take it back leaves the delivery scheduled (502), and only a scheduled one can be unscheduled (409)', async () => {
      const failing = unscheduling({}, { remoteFails: true });
      await expect(failing.service.unschedule(TENANT, DELIVERY)).rejects.toThrow(UnscheduleFailedError);
      expect(failing.deliveries.cancel).not.toHaveBeenCalled();
      await expect(unscheduling({ status: 'published' }).service.unschedule(TENANT, DELIVERY)).rejects.toThrow(ConflictError);
    });
  });
});
