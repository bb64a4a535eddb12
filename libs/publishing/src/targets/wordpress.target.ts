// WordPress through its REST API (/wp-json/wp/v2) with an application password. Stock WordPress has no
// writable post meta without register_meta, so the idempotency marker travels in the post's content as an
// HTML comment: `find` searches for it (WordPress's search covers post_content) across every status but
// trash, and confirms the hit in the raw content, so a copy created just before a crash is found even when
// WordPress had to rename its slug.
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

const API = '/wp-json/wp/v2';
/** Every status a copy of ours can be in; trash counts as deleted. */
const LIVE_STATUSES = 'publish,future,draft,pending,private';

interface WpPost {
  id: number;
  status: string;
  link: string;
  slug: string;
  modified_gmt: string;
  content?: { raw?: string; rendered?: string };
}

interface WpTerm {
  id: number;
  name: string;
}

interface WpError {
  code?: string;
  message?: string;
  data?: { status?: number; term_id?: number; params?: Record<string, string> };
}

/** The comment that carries the marker; markers are made of URL-safe characters, anything else is dropped. */
export function wordpressMarkerComment(marker: string): string {
  return `<!-- margin:${safeMarker(marker)} -->`;
}

function safeMarker(marker: string): string {
  const clean = marker.replace(/[^A-Za-z0-9_.:-]/g, '');
  if (!clean) throw new PublishError('idempotency marker is empty', 'permanent');
  return clean;
}

export class WordPressTarget implements PublishTarget {
  readonly type = 'wordpress' as const;

  constructor(private readonly http: typeof fetch) {}

  async test(endpoint: TargetEndpoint): Promise<TestResult> {
    const path = `${API}/users/me?context=edit`;
    let site: string;
    try {
      site = siteUrl(endpoint);
      authHeader(endpoint);
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
    let res: Response;
    try {
      res = await this.http(`${site}${path}`, { headers: this.headers(endpoint) });
    } catch (err) {
      return { ok: false, detail: transportError(site, err).message };
    }
    const body = await readJson<WpError & { name?: string; capabilities?: Record<string, boolean> }>(res);
    if (res.status === 401 || res.status === 403) {
      return { ok: false, detail: `${res.status} from ${path}: wrong username or application password${body?.code ? ` (${body.code})` : ''}` };
    }
    if (res.status === 404 || !body || (res.ok && typeof body !== 'object')) {
      return { ok: false, detail: `no WordPress REST API at ${site} (${res.status} from ${path})` };
    }
    if (!res.ok) return { ok: false, detail: `${res.status} from ${path}: ${body.message ?? body.code ?? 'unexpected answer'}` };
    if (body.capabilities && !body.capabilities.publish_posts) {
      return { ok: false, detail: `signed in as ${body.name ?? 'the user'}, who may not publish posts (no publish_posts capability)` };
    }
    return { ok: true, detail: `signed in to ${site} as ${body.name ?? 'the user'}; can publish posts` };
  }

  async find(endpoint: TargetEndpoint, _post: TargetPost, marker: string): Promise<RemoteCopy | null> {
    const comment = wordpressMarkerComment(marker);
    const query = new URLSearchParams({ search: safeMarker(marker), status: LIVE_STATUSES, context: 'edit', per_page: '20' });
    const posts = await this.call<WpPost[]>(endpoint, 'GET', `/posts?${query.toString()}`);
    const hit = posts.find((p) => p.content?.raw?.includes(comment));
    return hit ? copyOf(hit) : null;
  }

  async publish(endpoint: TargetEndpoint, post: TargetPost, request: PublishRequest): Promise<RemoteCopy> {
    const [tags, categories] = await Promise.all([
      this.termIds(endpoint, 'tags', post.tags),
      this.termIds(endpoint, 'categories', configuredCategories(endpoint)),
    ]);
    const scheduledAt = request.scheduledAt && request.scheduledAt.getTime() > Date.now() ? request.scheduledAt : null;
    const future = scheduledAt !== null;
    const body: Record<string, unknown> = {
      title: post.title,
      // The marker first, so WordPress's excerpt generator (which strips comments) never shows it.
      content: `${wordpressMarkerComment(request.marker)}\n${renderMarkdown(post.content)}`,
      excerpt: post.excerpt ?? '',
      slug: post.slug,
      tags,
      status: future ? 'future' : 'publish',
    };
    if (categories.length) body.categories = categories;
    if (scheduledAt) body.date_gmt = scheduledAt.toISOString().slice(0, 19);
    else if (request.remoteId && (await this.statusOf(endpoint, request.remoteId)) === 'future') {
      // WordPress keeps a post with a future date in `future` even when told `publish`: publishing a held
      // copy now means moving its date to now.
      body.date_gmt = new Date().toISOString().slice(0, 19);
    }
    const path = request.remoteId ? `/posts/${encodeURIComponent(request.remoteId)}` : '/posts';
    const saved = await this.call<WpPost>(endpoint, 'POST', `${path}?context=edit`, body);
    return copyOf(saved);
  }

  async read(endpoint: TargetEndpoint, remoteId: string): Promise<RemoteState> {
    let post: WpPost;
    try {
      post = await this.call<WpPost>(endpoint, 'GET', `/posts/${encodeURIComponent(remoteId)}?context=edit`);
    } catch (err) {
      if (err instanceof PublishError && (err.options.status === 404 || err.options.status === 410)) return { exists: false };
      throw err;
    }
    if (post.status === 'trash') return { exists: false };
    const comments = await this.total(endpoint, `/comments?post=${encodeURIComponent(remoteId)}&per_page=1`);
    return {
      exists: true,
      state: stateOf(post.status),
      remoteUrl: post.link,
      modifiedAt: post.modified_gmt ? new Date(`${post.modified_gmt}Z`) : null,
      engagement: { comments },
    };
  }

  async unschedule(endpoint: TargetEndpoint, remoteId: string): Promise<void> {
    await this.call<WpPost>(endpoint, 'POST', `/posts/${encodeURIComponent(remoteId)}`, { status: 'draft' });
  }

  private async statusOf(endpoint: TargetEndpoint, remoteId: string): Promise<string> {
    return (await this.call<{ status: string }>(endpoint, 'GET', `/posts/${encodeURIComponent(remoteId)}?context=edit&_fields=status`)).status;
  }

  /** Ids of the named terms, creating the missing ones (a name WordPress already has comes back as `term_exists`). */
  private async termIds(endpoint: TargetEndpoint, taxonomy: 'tags' | 'categories', names: readonly string[]): Promise<number[]> {
    const ids: number[] = [];
    for (const name of [...new Set(names.map((n) => n.trim()).filter(Boolean))]) {
      const found = await this.call<WpTerm[]>(endpoint, 'GET', `/${taxonomy}?${new URLSearchParams({ search: name, per_page: '100' }).toString()}`);
      const match = found.find((t) => decodeEntities(t.name).toLowerCase() === name.toLowerCase());
      if (match) {
        ids.push(match.id);
        continue;
      }
      try {
        ids.push((await this.call<WpTerm>(endpoint, 'POST', `/${taxonomy}`, { name })).id);
      } catch (err) {
        const existing = err instanceof PublishError ? (err.options.cause as WpError | undefined)?.data?.term_id : undefined;
        if (!existing) throw err;
        ids.push(existing);
      }
    }
    return ids;
  }

  private async total(endpoint: TargetEndpoint, path: string): Promise<number | undefined> {
    const res = await this.send(endpoint, 'GET', path);
    if (!res.ok) return undefined;
    const total = Number(res.headers.get('x-wp-total'));
    return Number.isFinite(total) ? total : undefined;
  }

  private headers(endpoint: TargetEndpoint): Record<string, string> {
    return { Authorization: authHeader(endpoint), Accept: 'application/json' };
  }

  private async send(endpoint: TargetEndpoint, method: string, path: string, body?: unknown): Promise<Response> {
    const site = siteUrl(endpoint);
    const headers = this.headers(endpoint);
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await this.http(`${site}${API}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw transportError(site, err);
    }
  }

  private async call<T>(endpoint: TargetEndpoint, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(endpoint, method, path, body);
    const data = await readJson<T & WpError>(res);
    if (res.ok && data !== null) return data;
    const where = `${method} ${API}${path.split('?')[0]}`;
    if (res.ok) throw new PublishError(`${where}: WordPress answered ${res.status} without JSON`, 'transient', { status: res.status });
    throw httpError(where, res, data);
  }
}

function httpError(where: string, res: Response, data: WpError | null): PublishError {
  const status = res.status;
  const said = data?.message ? `: ${data.message}${data.code ? ` (${data.code})` : ''}` : '';
  if (status === 401 || status === 403) {
    return new PublishError(`${status} from ${where}: wrong username or application password, or the user may not do this${said}`, 'permanent', {
      status,
      cause: data,
    });
  }
  // A wrong application password is not always a 401: WordPress then serves the request as an anonymous visitor,
  // and the lookup of drafts and scheduled posts (find) is refused because anonymous visitors may not list them.
  if (status === 400 && data?.code === 'rest_invalid_param' && /forbidden/i.test(data.data?.params?.['status'] ?? '')) {
    return new PublishError(
      `${status} from ${where}: WordPress served the request as an anonymous visitor (${data.data?.params?.['status']}): wrong username or application password`,
      'permanent',
      { status, cause: data },
    );
  }
  if (status === 404 && data?.code === 'rest_no_route') {
    return new PublishError(`no WordPress REST API route ${where} on this site`, 'permanent', { status, cause: data });
  }
  if (status === 429 || status >= 500) {
    return new PublishError(`${status} from ${where}${said}`, 'transient', { status, retryAfterMs: retryAfter(res), cause: data });
  }
  return new PublishError(`${status} from ${where}${said}`, 'permanent', { status, cause: data });
}

function copyOf(post: WpPost): RemoteCopy {
  return { remoteId: String(post.id), remoteUrl: post.link ?? null, state: post.status === 'future' ? 'scheduled' : 'published' };
}

function stateOf(status: string): RemoteState['state'] {
  if (status === 'publish' || status === 'private') return 'published';
  if (status === 'future') return 'scheduled';
  return 'draft';
}

function configuredCategories(endpoint: TargetEndpoint): string[] {
  const value = endpoint.config.categories;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function siteUrl(endpoint: TargetEndpoint): string {
  if (!endpoint.url) throw new PublishError('the WordPress endpoint has no site URL', 'permanent');
  return endpoint.url.replace(/\/+$/, '').replace(/\/wp-json$/, '');
}

function authHeader(endpoint: TargetEndpoint): string {
  const { username, applicationPassword } = endpoint.credentials;
  if (!username) throw new PublishError('credentials.username is missing', 'permanent');
  if (!applicationPassword) throw new PublishError('credentials.applicationPassword is missing', 'permanent');
  // WordPress shows application passwords in groups of four; the spaces are optional.
  return `Basic ${Buffer.from(`${username}:${applicationPassword.replace(/\s+/g, '')}`).toString('base64')}`;
}

async function readJson<T>(res: Response): Promise<T | null> {
  const text = await res.text().catch(() => '');
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

function decodeEntities(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'");
}

/** Retry-After in seconds or as an HTTP date. */
export function retryAfter(res: Response): number | undefined {
  const value = res.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** A fetch that threw: refused by the outbound policy (permanent) or a network failure (transient). */
export function transportError(site: string, err: unknown): PublishError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code === 'EOUTBOUNDREFUSED') return new PublishError(`${site} is not allowed: ${cause.message}`, 'permanent', { cause: err });
  if ((err as Error)?.name === 'AbortError' || (err as Error)?.name === 'TimeoutError') {
    return new PublishError(`${site} did not answer in time`, 'transient', { cause: err });
  }
  return new PublishError(`cannot reach ${site}: ${cause?.code ?? cause?.message ?? (err as Error)?.message ?? 'network error'}`, 'transient', { cause: err });
}
