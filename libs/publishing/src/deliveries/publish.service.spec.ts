import { ConflictError, ManualClock } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { EndpointEntity } from '../endpoints/endpoint.entity';
import type { EndpointsRepository } from '../endpoints/endpoints.repository';
import type { PostEntity } from '../posts/post.entity';
import type { PostsRepository } from '../posts/posts.repository';
import { PublishingInputError } from '../publishing.errors';
import type { DeliveriesRepository } from './deliveries.repository';
import type { DeliveryEntity } from './delivery.entity';
import type { DeliveryEvents } from './delivery-events';
import type { DeliveryQueue } from './delivery-queue';
import { PublishService } from './publish.service';

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
  const service = new PublishService(deliveries, endpointsRepo, posts, queue, events, new ManualClock(NOW));
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
});
