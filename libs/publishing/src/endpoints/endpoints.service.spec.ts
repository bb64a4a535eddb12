import { ConflictError, ManualClock, OutboundPolicy, SecretBox, type AppConfig } from '@margin/core';
import type { TenantRepository } from '@margin/identity';
import { strictMock } from '@margin/testing';
import { BlogTarget } from '../targets/blog.target';
import type { PublishTargets } from '../targets/target-registry';
import { WebhookTarget } from '../targets/webhook.target';
import type { EndpointEntity } from './endpoint.entity';
import type { EndpointsRepository, NewEndpoint } from './endpoints.repository';
import { EndpointsService } from './endpoints.service';

const TENANT = '11111111-1111-4111-8111-111111111111';
const NOW = new Date('2026-12-02T10:00:00Z');
const config = { publicUrl: 'https://margin.example', encryptionKey: Buffer.alloc(32, 3) } as unknown as AppConfig;

function setup(options: { taken?: string[]; hasBlog?: boolean } = {}) {
  const rows = new Map<string, EndpointEntity>();
  const repo = strictMock<EndpointsRepository>({
    blogOf: async () => (options.hasBlog ? ({ id: 'blog' } as EndpointEntity) : null),
    slugTaken: async (slug) => (options.taken ?? []).includes(slug),
    create: async (_t, e: NewEndpoint) => {
      const row = { ...e, id: `ep-${rows.size + 1}`, tenantId: TENANT, createdAt: e.at, updatedAt: e.at } as unknown as EndpointEntity;
      rows.set(row.id, row);
      return row;
    },
    find: async (_t, id) => rows.get(id) ?? null,
    update: async (_t, id, patch) => {
      const row = Object.assign(rows.get(id) as EndpointEntity, patch);
      return row;
    },
  });
  const tenants = strictMock<TenantRepository>({ findById: async () => ({ id: TENANT, name: 'Acme Notes!' }) as never });
  const box = new SecretBox(config);
  const clock = new ManualClock(NOW);
  const targets: PublishTargets = new Map<never, never>([
    ['blog', new BlogTarget(config.publicUrl)],
    ['webhook', new WebhookTarget(fetch)],
  ] as never);
  const outbound = new OutboundPolicy({ allowLoopback: false, allowPrivate: false, allowHosts: [] });
  const service = new EndpointsService(repo, tenants, box, outbound, config, clock, targets);
  return { service, rows, box, clock };
}

describe('EndpointsService', () => {
  it('stores credentials encrypted and answers only their names', async () => {
    const s = setup();
    const view = await s.service.create(TENANT, { type: 'webhook', name: 'Hook', url: 'https://hooks.example.com/x', credentials: { secret: 'top-secret' } });
    expect(view.credentialFields).toEqual(['secret']);
    expect(JSON.stringify(view)).not.toContain('top-secret');
    const raw = s.rows.get(view.id)?.credentials as string;
    expect(raw).not.toContain('top-secret');
    expect(JSON.parse(s.box.decrypt(raw))).toEqual({ secret: 'top-secret' });
  });

  it('a blog gets its slug from the tenant name (a suffix when taken), and answers its public and feed URLs', async () => {
    const view = await setup().service.create(TENANT, { type: 'blog', name: 'Blog' });
    expect(view).toMatchObject({ publicUrl: 'https://margin.example/blog/acme-notes', feedUrl: 'https://margin.example/blog/acme-notes/feed.xml', url: null });
    const taken = await setup({ taken: ['acme-notes'] }).service.create(TENANT, { type: 'blog', name: 'Blog' });
    expect(taken.publicUrl).toBe('https://margin.example/blog/acme-notes-11111111');
    await expect(setup({ hasBlog: true }).service.create(TENANT, { type: 'blog', name: 'Blog' })).rejects.toThrow(ConflictError);
  });

  it('refuses what a type cannot have, naming the field', async () => {
    const s = setup();
    await expect(s.service.create(TENANT, { type: 'webhook', name: 'H', url: 'https://x.example' })).rejects.toThrow(
      'credentials.secret is required for a webhook endpoint',
    );
    await expect(s.service.create(TENANT, { type: 'webhook', name: 'H', credentials: { secret: 's' } })).rejects.toThrow('url is required');
    await expect(s.service.create(TENANT, { type: 'webhook', name: 'H', url: 'http://10.0.0.1/x', credentials: { secret: 's' } })).rejects.toThrow(
      /^url points at a private network/,
    );
    await expect(s.service.create(TENANT, { type: 'blog', name: 'B', url: 'https://x.example' })).rejects.toThrow('url must not be given for a blog endpoint');
    await expect(s.service.create(TENANT, { type: 'wordpress', name: 'W', url: 'https://x.example' })).rejects.toThrow(
      'type: wordpress endpoints are not available',
    );
  });

  it('a new webhook secret keeps the old one signing for the overlap window', async () => {
    const s = setup();
    const view = await s.service.create(TENANT, {
      type: 'webhook',
      name: 'Hook',
      url: 'https://hooks.example.com/x',
      credentials: { secret: 'old' },
      config: { secretOverlapSeconds: 3600 },
    });
    const updated = await s.service.update(TENANT, view.id, { credentials: { secret: 'new' } });
    expect(updated.credentialFields).toEqual(['secret']);
    const stored = s.service.targetEndpoint(s.rows.get(view.id) as EndpointEntity).credentials;
    expect(stored).toEqual({ secret: 'new', previousSecret: 'old', previousSecretUntil: new Date(NOW.getTime() + 3_600_000).toISOString() });
    await expect(s.service.update(TENANT, view.id, { credentials: { secret: 'x', previousSecret: 'y' } })).rejects.toThrow(
      'credentials.previousSecret is kept by Margin',
    );
  });
});
