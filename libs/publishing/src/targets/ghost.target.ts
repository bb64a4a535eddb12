// Ghost through its Admin API (@tryghost/admin-api, Accept-Version v5.0), every request routed through the
// caller's fetch with the client's `makeRequest` hook. The post's slug is the one Margin gives it; the
// idempotency marker rides on the post as an internal tag (`#margin-…`, never shown on the site), so `find`
// sees an earlier create among drafts, scheduled and published posts even when Ghost had to change the slug.
import { createHash } from 'node:crypto';
import { renderMarkdown } from '../format/markdown';
import {
  PublishError,
  type PublishRequest,
  type PublishTarget,
  type RemoteCopy,
  type RemoteState,
  type TargetEndpoint,
  type TargetPost,
  type TestResult,
} from './publish-target';
import { retryAfter, transportError } from './wordpress.target';

const VERSION = 'v5.0';
/** Ghost refuses a custom excerpt longer than this. */
const EXCERPT_MAX = 300;
const MARKER_SLUG_MAX = 150;
const KEY_FORMAT = /^[0-9a-f]{24}:[0-9a-f]{64}$/;

interface GhostPost {
  id: string;
  slug: string;
  status: 'published' | 'scheduled' | 'draft' | 'sent';
  url: string | null;
  updated_at: string;
  published_at: string | null;
  tags?: { name: string; slug: string }[];
  count?: { comments?: number };
}

interface GhostRequest {
  url: string;
  method: string;
  data?: unknown;
  params?: Record<string, unknown>;
  headers?: Record<string, string>;
}

interface GhostResource<T> {
  browse(query?: Record<string, unknown>): Promise<T[]>;
  read(data: { id: string } | { slug: string }, query?: Record<string, unknown>): Promise<T>;
  add(data: Record<string, unknown>, query?: Record<string, unknown>): Promise<T>;
  edit(data: Record<string, unknown> & { id: string }, query?: Record<string, unknown>): Promise<T>;
}

interface GhostAdmin {
  posts: GhostResource<GhostPost>;
  site: { read(): Promise<{ title?: string; version?: string; url?: string }> };
}

type GhostAdminFactory = (options: { url: string; key: string; version: string; makeRequest: (req: GhostRequest) => Promise<unknown> }) => GhostAdmin;

// The package ships no type declarations; the shape used here is declared above.
const GhostAdminAPI = require('@tryghost/admin-api') as GhostAdminFactory;

/** The internal tag that carries a marker: Ghost hides tags named `#…` and slugs them `hash-…`. */
export function ghostMarkerTag(marker: string): { name: string; slug: string } {
  let slug = marker
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!slug) throw new PublishError('idempotency marker is empty', 'permanent');
  // Ghost's tag names and slugs are at most 191 characters: a long marker is replaced by its digest.
  if (slug.length > MARKER_SLUG_MAX) slug = createHash('sha256').update(marker).digest('hex');
  return { name: `#margin-${slug}`, slug: `hash-margin-${slug}` };
}

export class GhostTarget implements PublishTarget {
  readonly type = 'ghost' as const;

  constructor(private readonly http: typeof fetch) {}

  async test(endpoint: TargetEndpoint): Promise<TestResult> {
    let api: GhostAdmin;
    try {
      api = this.client(endpoint);
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
    let site: { title?: string; version?: string };
    try {
      site = await api.site.read();
    } catch (err) {
      const e = err as PublishError;
      if (e.options?.status === 404) return { ok: false, detail: `no Ghost Admin API at ${siteUrl(endpoint)} (404 from /ghost/api/admin/site/)` };
      return { ok: false, detail: e.message };
    }
    try {
      await api.posts.browse({ limit: 1, fields: 'id' });
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
    return {
      ok: true,
      detail: `Admin API key accepted by ${site.title ? `"${site.title}"` : siteUrl(endpoint)}${site.version ? ` (Ghost ${site.version})` : ''}`,
    };
  }

  async find(endpoint: TargetEndpoint, _post: TargetPost, marker: string): Promise<RemoteCopy | null> {
    const tag = ghostMarkerTag(marker);
    // The Admin API lists drafts and scheduled posts too; the status filter says so explicitly.
    const posts = await this.client(endpoint).posts.browse({
      filter: `tag:${tag.slug}+status:[draft,scheduled,published,sent]`,
      limit: 5,
      include: 'tags',
    });
    const hit = posts.find((p) => p.tags?.some((t) => t.slug === tag.slug));
    return hit ? copyOf(hit) : null;
  }

  async publish(endpoint: TargetEndpoint, post: TargetPost, request: PublishRequest): Promise<RemoteCopy> {
    const api = this.client(endpoint);
    const scheduledAt = request.scheduledAt && request.scheduledAt.getTime() > Date.now() ? request.scheduledAt : null;
    const data: Record<string, unknown> = {
      title: post.title,
      html: renderMarkdown(post.content),
      slug: post.slug,
      tags: [...new Set(post.tags.map((t) => t.trim()).filter(Boolean))].map((name) => ({ name })).concat([ghostMarkerTag(request.marker)]),
      custom_excerpt: post.excerpt ? truncate(post.excerpt, EXCERPT_MAX) : null,
      feature_image: post.featuredImageUrl,
      canonical_url: post.canonicalUrl,
      status: scheduledAt ? 'scheduled' : 'published',
    };
    if (scheduledAt) data.published_at = scheduledAt.toISOString();
    const query = { source: 'html' };
    if (!request.remoteId) return copyOf(await api.posts.add(data, query));
    const id = request.remoteId;
    // Ghost takes an edit only with the updated_at of the copy it holds (optimistic locking); someone saving
    // in Ghost's editor between our read and our write makes it answer 409, so read again and retry once.
    for (let attempt = 0; ; attempt++) {
      const current = await api.posts.read({ id }, { fields: 'id,updated_at,status,published_at' });
      const edit: Record<string, unknown> & { id: string } = { ...data, id, updated_at: current.updated_at };
      // Publishing a held (scheduled) copy now: its publication date is now, not the time it was held for.
      if (!scheduledAt && current.status === 'scheduled') edit.published_at = new Date().toISOString();
      try {
        return copyOf(await api.posts.edit(edit, query));
      } catch (err) {
        if (attempt === 0 && err instanceof PublishError && err.options.status === 409) continue;
        throw err;
      }
    }
  }

  async read(endpoint: TargetEndpoint, remoteId: string): Promise<RemoteState> {
    let post: GhostPost;
    try {
      post = await this.client(endpoint).posts.read({ id: remoteId }, { include: 'count.comments' });
    } catch (err) {
      if (err instanceof PublishError && err.options.status === 404) return { exists: false };
      throw err;
    }
    const state: RemoteState['state'] = post.status === 'scheduled' ? 'scheduled' : post.status === 'draft' ? 'draft' : 'published';
    const comments = post.count?.comments;
    return {
      exists: true,
      state,
      remoteUrl: post.url,
      modifiedAt: post.updated_at ? new Date(post.updated_at) : null,
      ...(typeof comments === 'number' ? { engagement: { comments } } : {}),
    };
  }

  async unschedule(endpoint: TargetEndpoint, remoteId: string): Promise<void> {
    const api = this.client(endpoint);
    const current = await api.posts.read({ id: remoteId }, { fields: 'id,updated_at' });
    await api.posts.edit({ id: remoteId, updated_at: current.updated_at, status: 'draft' });
  }

  private client(endpoint: TargetEndpoint): GhostAdmin {
    const url = siteUrl(endpoint);
    const key = endpoint.credentials.adminApiKey?.trim();
    if (!key) throw new PublishError('credentials.adminApiKey is missing', 'permanent');
    // Checked here because the client's own error message would quote the key.
    if (!KEY_FORMAT.test(key)) throw new PublishError('credentials.adminApiKey must look like <24 hex id>:<64 hex secret> (Ghost → Integrations)', 'permanent');
    return GhostAdminAPI({ url, key, version: VERSION, makeRequest: (req) => this.request(url, req) });
  }

  private async request(site: string, req: GhostRequest): Promise<unknown> {
    const target = new URL(req.url);
    for (const [name, value] of Object.entries(req.params ?? {})) {
      if (value !== undefined && value !== null) target.searchParams.set(name, Array.isArray(value) ? value.join(',') : String(value));
    }
    const headers: Record<string, string> = { ...req.headers, Accept: 'application/json' };
    const hasBody = req.data !== undefined && req.data !== '' && req.method !== 'GET';
    if (hasBody) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.http(target.toString(), { method: req.method, headers, body: hasBody ? JSON.stringify(req.data) : undefined });
    } catch (err) {
      throw transportError(site, err);
    }
    const text = await res.text().catch(() => '');
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : '';
    } catch {
      // not JSON: an HTML error page or a proxy's answer
    }
    if (res.ok) {
      if (typeof body !== 'object' && req.method !== 'DELETE') {
        throw new PublishError(`${req.method} ${target.pathname}: Ghost answered ${res.status} without JSON`, res.status === 200 ? 'permanent' : 'transient', {
          status: res.status,
        });
      }
      return body;
    }
    throw ghostError(req.method, target.pathname, res, body);
  }
}

function ghostError(method: string, path: string, res: Response, body: unknown): PublishError {
  const status = res.status;
  const first = (body as { errors?: { message?: string; type?: string; context?: string | null }[] } | null)?.errors?.[0];
  const said = first ? `: ${first.message ?? first.type}${first.context ? ` (${first.context})` : ''}` : '';
  const where = `${status} from ${method} ${path}`;
  if (status === 401 || status === 403) {
    return new PublishError(`${where}: Ghost rejected the Admin API key${said}`, 'permanent', { status, cause: first });
  }
  if (status === 429 || status >= 500) return new PublishError(`${where}${said}`, 'transient', { status, retryAfterMs: retryAfter(res), cause: first });
  return new PublishError(`${where}${said}`, 'permanent', { status, cause: first });
}

function copyOf(post: GhostPost): RemoteCopy {
  return { remoteId: post.id, remoteUrl: post.url ?? null, state: post.status === 'scheduled' ? 'scheduled' : 'published' };
}

function siteUrl(endpoint: TargetEndpoint): string {
  if (!endpoint.url) throw new PublishError('the Ghost endpoint has no site URL', 'permanent');
  return endpoint.url.replace(/\/+$/, '').replace(/\/ghost$/, '');
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
