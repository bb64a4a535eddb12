import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CreateEndpointRequest, EndpointTestResult, EndpointView, UpdateEndpointRequest } from '@margin/contracts';
import { AppConfig, Clock, ConflictError, isUniqueViolation, NotFoundError, OutboundPolicy, SecretBox } from '@margin/core';
import { TenantRepository } from '@margin/identity';
import { blogUrl } from '../targets/blog.target';
import type { PublishTarget, TargetEndpoint } from '../targets/publish-target';
import { PUBLISH_TARGETS, REQUIRED_CREDENTIALS, type PublishTargets } from '../targets/target-registry';
import { PublishingInputError } from '../publishing.errors';
import { SLUG_PATTERN, slugify } from '../slug';
import type { EndpointEntity } from './endpoint.entity';
import { EndpointsRepository } from './endpoints.repository';

/** How long a replaced webhook secret still signs deliveries (next to the new one), unless config.secretOverlapSeconds says otherwise. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = 86_400;
/** Credential fields Margin keeps itself (the rotation window); not settable by a client. */
const INTERNAL_CREDENTIALS = ['previousSecret', 'previousSecretUntil'];

@Injectable()
export class EndpointsService {
  private readonly logger = new Logger(EndpointsService.name);

  constructor(
    private readonly repo: EndpointsRepository,
    private readonly tenants: TenantRepository,
    private readonly secrets: SecretBox,
    private readonly outbound: OutboundPolicy,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(PUBLISH_TARGETS) private readonly targets: PublishTargets,
  ) {}

  async list(tenantId: string): Promise<EndpointView[]> {
    return (await this.repo.list(tenantId)).map((e) => this.toView(e));
  }

  async get(tenantId: string, id: string): Promise<EndpointView> {
    return this.toView(await this.entity(tenantId, id));
  }

  async entity(tenantId: string, id: string): Promise<EndpointEntity> {
    const e = await this.repo.find(tenantId, id);
    if (!e) throw new NotFoundError('Endpoint');
    return e;
  }

  async create(tenantId: string, req: CreateEndpointRequest): Promise<EndpointView> {
    this.target(req.type);
    const config = { ...(req.config ?? {}) };
    let publicSlug: string | null = null;
    if (req.type === 'blog') {
      if (req.url !== undefined) throw new PublishingInputError('url must not be given for a blog endpoint (Margin serves it)');
      if (req.credentials !== undefined) throw new PublishingInputError('credentials must not be given for a blog endpoint');
      if (await this.repo.blogOf(tenantId)) throw new ConflictError('type: this tenant already has a blog endpoint (one per tenant)');
      publicSlug = await this.blogSlug(tenantId, config['slug']);
      config['slug'] = publicSlug;
    } else {
      if (!req.url) throw new PublishingInputError(`url is required for a ${req.type} endpoint`);
      this.outbound.assertAllowed('url', req.url);
    }
    const credentials = this.checkCredentials(req.type, req.credentials ?? {});
    this.checkConfig(req.type, config);
    const created = await this.repo
      .create(tenantId, {
        type: req.type,
        name: req.name,
        url: req.type === 'blog' ? null : (req.url ?? null),
        credentials: Object.keys(credentials).length ? this.secrets.encrypt(JSON.stringify(credentials)) : null,
        config,
        enabled: req.enabled ?? true,
        publicSlug,
        at: this.clock.now(),
      })
      .catch((err: unknown) => {
        // two blogs created at once, or the same slug by two tenants: the unique indexes decide
        if (isUniqueViolation(err)) throw new ConflictError('type: this tenant already has a blog endpoint, or config.slug is taken');
        throw err;
      });
    this.logger.log({ tenantId, endpointId: created.id, type: created.type }, 'Publishing endpoint created');
    return this.toView(created);
  }

  async update(tenantId: string, id: string, req: UpdateEndpointRequest): Promise<EndpointView> {
    const e = await this.entity(tenantId, id);
    const patch: Parameters<EndpointsRepository['update']>[2] = {};
    if (req.name !== undefined) patch.name = req.name;
    if (req.enabled !== undefined) patch.enabled = req.enabled;
    if (req.url !== undefined) {
      if (e.type === 'blog') throw new PublishingInputError('url must not be given for a blog endpoint (Margin serves it)');
      this.outbound.assertAllowed('url', req.url);
      patch.url = req.url;
    }
    if (req.config !== undefined) {
      const config = { ...req.config };
      if (e.type === 'blog') {
        // the public address is fixed at creation: links and feed subscribers depend on it
        if (config['slug'] !== undefined && config['slug'] !== e.publicSlug) throw new PublishingInputError('config.slug of a blog cannot be changed');
        config['slug'] = e.publicSlug;
      }
      this.checkConfig(e.type, config);
      patch.config = config;
    }
    if (req.credentials !== undefined) {
      if (e.type === 'blog') throw new PublishingInputError('credentials must not be given for a blog endpoint');
      const next: Record<string, string> = this.checkCredentials(e.type, req.credentials);
      const old = this.credentials(e);
      if (e.type === 'webhook' && old['secret'] && old['secret'] !== next['secret']) {
        // rotation: the old secret keeps signing, next to the new one, until the window ends
        const overlap = Number((patch.config ?? e.config)['secretOverlapSeconds'] ?? DEFAULT_SECRET_OVERLAP_SECONDS);
        if (overlap > 0) {
          next['previousSecret'] = old['secret'];
          next['previousSecretUntil'] = new Date(this.clock.now().getTime() + overlap * 1000).toISOString();
        }
      }
      patch.credentials = this.secrets.encrypt(JSON.stringify(next));
    }
    const updated = await this.repo.update(tenantId, id, patch, this.clock.now());
    if (!updated) throw new NotFoundError('Endpoint');
    return this.toView(updated);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(tenantId, id))) throw new NotFoundError('Endpoint');
  }

  async test(tenantId: string, id: string): Promise<EndpointTestResult> {
    const e = await this.entity(tenantId, id);
    if (e.url) {
      const why = this.outbound.refusal(e.url);
      if (why) return { ok: false, detail: `url ${why}` };
    }
    return this.target(e.type).test(this.targetEndpoint(e));
  }

  /** The target serving this type, or a 400 when this installation has none. */
  target(type: EndpointEntity['type']): PublishTarget {
    const target = this.targets.get(type);
    if (!target) throw new PublishingInputError(`type: ${type} endpoints are not available in this installation`);
    return target;
  }

  /** What a target is given: credentials decrypted (never logged), the blog's slug in its config. */
  targetEndpoint(e: EndpointEntity): TargetEndpoint {
    return {
      id: e.id,
      tenantId: e.tenantId,
      type: e.type,
      url: e.url,
      credentials: Object.freeze(this.credentials(e)),
      config: Object.freeze({ ...e.config, ...(e.publicSlug ? { publicSlug: e.publicSlug } : {}) }),
    };
  }

  toView(e: EndpointEntity): EndpointView {
    const view: EndpointView = {
      id: e.id,
      type: e.type,
      name: e.name,
      url: e.url,
      config: e.config,
      enabled: e.enabled,
      credentialFields: Object.keys(this.credentials(e)).filter((k) => !INTERNAL_CREDENTIALS.includes(k)),
      createdAt: e.createdAt.toISOString(),
      updatedAt: e.updatedAt.toISOString(),
    };
    if (e.type === 'blog' && e.publicSlug) {
      view.publicUrl = blogUrl(this.config.publicUrl, e.publicSlug);
      view.feedUrl = `${view.publicUrl}/feed.xml`;
    }
    return view;
  }

  private credentials(e: EndpointEntity): Record<string, string> {
    if (!e.credentials) return {};
    return JSON.parse(this.secrets.decrypt(e.credentials)) as Record<string, string>;
  }

  private checkCredentials(type: EndpointEntity['type'], given: Record<string, string>): Record<string, string> {
    for (const k of Object.keys(given))
      if (INTERNAL_CREDENTIALS.includes(k)) throw new PublishingInputError(`credentials.${k} is kept by Margin and cannot be set`);
    for (const field of REQUIRED_CREDENTIALS[type])
      if (!given[field]) throw new PublishingInputError(`credentials.${field} is required for a ${type} endpoint`);
    return { ...given };
  }

  private checkConfig(type: EndpointEntity['type'], config: Record<string, unknown>): void {
    if (type === 'webhook' && config['secretOverlapSeconds'] !== undefined) {
      const v = config['secretOverlapSeconds'];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 30 * 86_400)
        throw new PublishingInputError('config.secretOverlapSeconds must be an integer from 0 to 2592000');
    }
  }

  /** The blog's public slug: the one asked for (free), or the tenant's name made a slug (a suffix when taken). */
  private async blogSlug(tenantId: string, asked: unknown): Promise<string> {
    if (asked !== undefined) {
      if (typeof asked !== 'string' || asked.length > 60 || !SLUG_PATTERN.test(asked))
        throw new PublishingInputError('config.slug must be lowercase words joined by hyphens (at most 60 characters)');
      if (await this.repo.slugTaken(asked)) throw new ConflictError('config.slug is taken by another blog');
      return asked;
    }
    const tenant = await this.tenants.findById(tenantId);
    const base = slugify(tenant?.name ?? '', 48) || 'blog';
    if (!(await this.repo.slugTaken(base))) return base;
    return `${base}-${tenantId.replace(/-/g, '').slice(0, 8)}`;
  }
}
