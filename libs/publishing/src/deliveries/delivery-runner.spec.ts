import { AppConfig, ManualClock, OutboundPolicy } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { EndpointEntity } from '../endpoints/endpoint.entity';
import type { EndpointsRepository } from '../endpoints/endpoints.repository';
import type { EndpointsService } from '../endpoints/endpoints.service';
import type { PostEntity } from '../posts/post.entity';
import type { PostsRepository } from '../posts/posts.repository';
import { PublishError, type PublishTarget } from '../targets/publish-target';
import type { PublishTargets } from '../targets/target-registry';
import type { DeliveriesRepository } from './deliveries.repository';
import type { DeliveryEntity } from './delivery.entity';
import type { DeliveryEvents } from './delivery-events';
import type { DeliveryQueue } from './delivery-queue';
import { DeliveryRunner } from './delivery-runner';
import type { PublishingSettings } from './publishing-settings';

const TENANT = '11111111-1111-4111-8111-111111111111';
const DELIVERY = '22222222-2222-4222-8222-222222222222';
const NOW = new Date('2026-12-02T10:00:00Z');

const delivery = (over: Partial<DeliveryEntity> = {}): DeliveryEntity =>
  ({
    id: DELIVERY,
    tenantId: TENANT,
    postId: 'post-1',
    endpointId: 'ep-1',
    status: 'publishing',
    revision: 1,
    remoteId: null,
    remoteUrl: null,
    attempts: 1,
    lastError: null,
    nextAttemptAt: null,
    scheduledAt: null,
    publishedAt: null,
    updatedAt: NOW,
    ...over,
  }) as DeliveryEntity;

function setup(target: Partial<PublishTarget>, claimed: DeliveryEntity | null = delivery()) {
  const endpoint = {
    id: 'ep-1',
    tenantId: TENANT,
    type: 'webhook',
    url: 'https://hooks.example.com/x',
    enabled: true,
    config: {},
    publicSlug: null,
  } as unknown as EndpointEntity;
  const post = {
    id: 'post-1',
    tenantId: TENANT,
    title: 'T',
    content: 'c',
    excerpt: null,
    slug: 't',
    tags: [],
    featuredImageUrl: null,
    canonicalUrl: null,
    publishedAt: null,
  } as unknown as PostEntity;
  const deliveries = strictMock<DeliveriesRepository>({
    claim: async () => claimed,
    recordRemote: async () => undefined,
    listByPost: async () => [],
    markPublished: async (_t, _id, _a, o) => delivery({ status: o.status, remoteId: o.remoteId }),
    markRetry: async (_t, _id, _a, error, next) => delivery({ status: 'pending', lastError: error, nextAttemptAt: next }),
    markFailed: async (_t, _id, _a, error) => delivery({ status: 'failed', lastError: error }),
  });
  const endpointsRepo = strictMock<EndpointsRepository>({ find: async () => endpoint, blogOf: async () => null });
  const endpoints = strictMock<EndpointsService>({ targetEndpoint: () => ({ ...endpoint, credentials: { secret: 's' } }) as never });
  const posts = strictMock<PostsRepository>({ find: async () => post, markDelivered: async () => undefined });
  const queue = strictMock<DeliveryQueue>({ enqueue: async () => undefined });
  const events = strictMock<DeliveryEvents>({ updated: async () => undefined });
  const full: PublishTarget = {
    type: 'webhook',
    test: async () => ({ ok: true, detail: '' }),
    find: async () => null,
    publish: async () => ({ remoteId: 'r-1', remoteUrl: null, state: 'published' }),
    read: async () => ({ exists: true }),
    ...target,
  };
  full.find = jest.fn(full.find);
  full.publish = jest.fn(full.publish);
  full.read = jest.fn(full.read);
  const targets: PublishTargets = new Map([['webhook', full]]);
  const settings: PublishingSettings = {
    leaseMs: 60_000,
    backoff: { baseMs: 1000, maxMs: 60_000, maxAttempts: 3, jitter: 0 },
    sweepEveryMs: 1000,
    syncEveryMs: 1000,
  };
  const outbound = new OutboundPolicy({ allowLoopback: false, allowPrivate: false, allowHosts: [] });
  const runner = new DeliveryRunner(
    deliveries,
    endpointsRepo,
    endpoints,
    posts,
    queue,
    events,
    outbound,
    settings,
    { publicUrl: 'https://margin.test' } as AppConfig,
    new ManualClock(NOW),
    targets,
  );
  return { runner, deliveries, queue, target: full, posts, endpointsRepo };
}

const payload = { tenantId: TENANT, deliveryId: DELIVERY };

describe('DeliveryRunner', () => {
  it('looks the copy up by its marker before creating, and updates the one it finds instead of making another', async () => {
    const s = setup({ find: async () => ({ remoteId: 'found-1', remoteUrl: 'https://x/1', state: 'published' }) });
    await s.runner.run(payload);
    expect(s.target.find).toHaveBeenCalledWith(expect.anything(), expect.anything(), DELIVERY);
    expect(s.deliveries.recordRemote).toHaveBeenCalledWith(TENANT, DELIVERY, 'found-1', 'https://x/1');
    expect(s.target.publish).toHaveBeenCalledWith(expect.anything(), expect.anything(), expect.objectContaining({ marker: DELIVERY, remoteId: 'found-1' }));
    expect(s.posts.markDelivered).toHaveBeenCalledWith(TENANT, 'post-1', 'published', NOW);
  });

  it('does not look up when a remote id is recorded: it updates that copy', async () => {
    const s = setup({}, delivery({ remoteId: 'known', publishedAt: NOW }));
    await s.runner.run(payload);
    expect(s.target.find).not.toHaveBeenCalled();
    expect(s.target.publish).toHaveBeenCalledWith(expect.anything(), expect.anything(), expect.objectContaining({ remoteId: 'known', event: 'post.updated' }));
  });

  it('retries a transient failure with backoff, honouring Retry-After', async () => {
    const s = setup({
      publish: async () => {
        throw new PublishError('503 from the platform', 'transient', { status: 503, retryAfterMs: 30_000 });
      },
    });
    await s.runner.run(payload);
    expect(s.deliveries.markRetry).toHaveBeenCalledWith(
      TENANT,
      DELIVERY,
      expect.objectContaining({ attempts: 1, revision: 1 }),
      '503 from the platform',
      new Date(NOW.getTime() + 30_000),
      NOW,
    );
    expect(s.queue.enqueue).toHaveBeenCalledWith(expect.objectContaining({ status: 'pending' }), 30_000);
    expect(s.deliveries.markFailed).not.toHaveBeenCalled();
  });

  it('fails a permanent error at once with its reason, and queues nothing', async () => {
    const s = setup({
      publish: async () => {
        throw new PublishError('401: wrong application password', 'permanent', { status: 401 });
      },
    });
    await s.runner.run(payload);
    expect(s.deliveries.markFailed).toHaveBeenCalledWith(TENANT, DELIVERY, expect.objectContaining({ attempts: 1 }), '401: wrong application password', NOW);
    expect(s.queue.enqueue).not.toHaveBeenCalled();
  });

  it('gives up after the last attempt, saying so', async () => {
    const s = setup(
      {
        publish: async () => {
          throw new PublishError('timeout', 'transient');
        },
      },
      delivery({ attempts: 3 }),
    );
    await s.runner.run(payload);
    expect(s.deliveries.markFailed).toHaveBeenCalledWith(TENANT, DELIVERY, expect.objectContaining({ attempts: 3 }), 'gave up after 3 attempts: timeout', NOW);
  });

  it('a publish request that came in while it ran sends the delivery out again, for the new revision', async () => {
    const s = setup({});
    s.deliveries.markPublished.mockResolvedValueOnce(delivery({ status: 'pending', revision: 2, attempts: 0, remoteId: 'r-1' }));
    await s.runner.run(payload);
    expect(s.queue.enqueue).toHaveBeenCalledWith(expect.objectContaining({ revision: 2, status: 'pending' }), 0);
  });

  it('does nothing when the delivery cannot be claimed (done, not due, or another worker holds it)', async () => {
    const s = setup({}, null);
    await s.runner.run(payload);
    expect(s.target.publish).not.toHaveBeenCalled();
  });

  it('refuses an endpoint URL the outbound policy forbids, permanently', async () => {
    const s = setup({});
    s.endpointsRepo.find.mockResolvedValueOnce({
      id: 'ep-1',
      tenantId: TENANT,
      type: 'webhook',
      url: 'http://169.254.169.254/',
      enabled: true,
      config: {},
    } as unknown as EndpointEntity);
    await s.runner.run(payload);
    expect(s.target.publish).not.toHaveBeenCalled();
    expect(s.deliveries.markFailed).toHaveBeenCalledWith(
      TENANT,
      DELIVERY,
      expect.objectContaining({ attempts: 1 }),
      expect.stringContaining('link-local'),
      NOW,
    );
  });
});
