// Strapi 5 (headless CMS) through its REST API with an API token. Strapi has no fixed post type, so the
// endpoint names a collection type (`config.contentType`, its plural API id, e.g. `articles`) that has the
// fields this target writes: `title`, `slug`, `content` (rich text: markdown, or HTML when
// `config.contentFormat` is `html`), `excerpt`, `tags` (JSON), `canonicalUrl` and `marginMarker` (the
// idempotency marker, a plain string). Draft & Publish must be on: documents are written with
// `status=published`, and `find` looks at draft versions, which every document has. Strapi has no
// scheduling of its own, so `scheduledAt` is ignored (the caller delays the job); unschedule deletes.
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

interface StrapiDocument {
  id: number;
  documentId: string;
  updatedAt?: string;
  publishedAt?: string | null;
}

interface StrapiError {
  error?: { status?: number; name?: string; message?: string };
}

export class StrapiTarget implements PublishTarget {
  readonly type = 'strapi' as const;

  constructor(private readonly http: typeof fetch) {}

  async test(endpoint: TargetEndpoint): Promise<TestResult> {
    let path: string;
    try {
      path = `/api/${contentType(endpoint)}`;
      token(endpoint);
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
    let res: Response;
    try {
      res = await this.send(endpoint, 'GET', `${path}?pagination[pageSize]=1&status=draft`);
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
    const body = await readJson<StrapiError>(res);
    if (res.status === 401) return { ok: false, detail: `401 from GET ${path}: Strapi rejected the API token` };
    if (res.status === 403)
      return {
        ok: false,
        detail: `403 from GET ${path}: the API token may not read ${contentType(endpoint)} (give it full access or find/create/update/delete)`,
      };
    if (res.status === 404) return { ok: false, detail: `no Strapi content type "${contentType(endpoint)}" at ${baseUrl(endpoint)} (404 from GET ${path})` };
    if (!res.ok || !body) return { ok: false, detail: `${res.status} from GET ${path}: ${body?.error?.message ?? 'not a Strapi answer'}` };
    return { ok: true, detail: `API token accepted by ${baseUrl(endpoint)}; content type ${contentType(endpoint)} readable` };
  }

  async find(endpoint: TargetEndpoint, _post: TargetPost, marker: string): Promise<RemoteCopy | null> {
    const query = new URLSearchParams({ 'filters[marginMarker][$eq]': marker, status: 'draft', 'pagination[pageSize]': '2' });
    const found = await this.call<{ data: StrapiDocument[] }>(endpoint, 'GET', `/api/${contentType(endpoint)}?${query.toString()}`);
    const hit = found.data[0];
    return hit ? { remoteId: hit.documentId, remoteUrl: null, state: 'published' } : null;
  }

  async publish(endpoint: TargetEndpoint, post: TargetPost, request: PublishRequest): Promise<RemoteCopy> {
    const html = endpoint.config.contentFormat === 'html';
    const data = {
      title: post.title,
      slug: post.slug,
      content: html ? renderMarkdown(post.content) : post.content,
      excerpt: post.excerpt,
      tags: [...post.tags],
      canonicalUrl: post.canonicalUrl,
      marginMarker: request.marker,
    };
    const path = request.remoteId ? `/api/${contentType(endpoint)}/${encodeURIComponent(request.remoteId)}` : `/api/${contentType(endpoint)}`;
    const saved = await this.call<{ data: StrapiDocument }>(endpoint, request.remoteId ? 'PUT' : 'POST', `${path}?status=published`, { data });
    return { remoteId: saved.data.documentId, remoteUrl: null, state: 'published' };
  }

  async read(endpoint: TargetEndpoint, remoteId: string): Promise<RemoteState> {
    const path = `/api/${contentType(endpoint)}/${encodeURIComponent(remoteId)}`;
    for (const status of ['published', 'draft'] as const) {
      try {
        const doc = await this.call<{ data: StrapiDocument }>(endpoint, 'GET', `${path}?status=${status}`);
        return { exists: true, state: status, remoteUrl: null, modifiedAt: doc.data.updatedAt ? new Date(doc.data.updatedAt) : null };
      } catch (err) {
        if (!(err instanceof PublishError && err.options.status === 404)) throw err;
      }
    }
    return { exists: false };
  }

  async unschedule(endpoint: TargetEndpoint, remoteId: string): Promise<void> {
    await this.call<unknown>(endpoint, 'DELETE', `/api/${contentType(endpoint)}/${encodeURIComponent(remoteId)}`);
  }

  private async send(endpoint: TargetEndpoint, method: string, path: string, body?: unknown): Promise<Response> {
    const base = baseUrl(endpoint);
    const headers: Record<string, string> = { Authorization: `Bearer ${token(endpoint)}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await this.http(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw transportError(base, err);
    }
  }

  private async call<T>(endpoint: TargetEndpoint, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(endpoint, method, path, body);
    const data = await readJson<T & StrapiError>(res);
    if (res.ok) {
      if (data === null && method !== 'DELETE')
        throw new PublishError(`${method} ${path.split('?')[0]}: Strapi answered ${res.status} without JSON`, 'transient');
      return data as T;
    }
    const where = `${res.status} from ${method} ${path.split('?')[0]}`;
    const said = data?.error?.message ? `: ${data.error.message}${data.error.name ? ` (${data.error.name})` : ''}` : '';
    const status = res.status;
    if (status === 401) throw new PublishError(`${where}: Strapi rejected the API token`, 'permanent', { status, cause: data?.error });
    if (status === 403) throw new PublishError(`${where}: the API token may not do this${said}`, 'permanent', { status, cause: data?.error });
    if (status === 429 || status >= 500) throw new PublishError(`${where}${said}`, 'transient', { status, retryAfterMs: retryAfter(res), cause: data?.error });
    throw new PublishError(`${where}${said}`, 'permanent', { status, cause: data?.error });
  }
}

function contentType(endpoint: TargetEndpoint): string {
  const value = endpoint.config.contentType;
  if (typeof value !== 'string' || !/^[a-z][a-z0-9-]*$/.test(value)) {
    throw new PublishError('config.contentType must be the plural API id of a Strapi collection type, e.g. "articles"', 'permanent');
  }
  return value;
}

function token(endpoint: TargetEndpoint): string {
  const value = endpoint.credentials.apiToken;
  if (!value) throw new PublishError('credentials.apiToken is missing', 'permanent');
  return value;
}

function baseUrl(endpoint: TargetEndpoint): string {
  if (!endpoint.url) throw new PublishError('the Strapi endpoint has no URL', 'permanent');
  return endpoint.url.replace(/\/+$/, '').replace(/\/api$/, '');
}

async function readJson<T>(res: Response): Promise<T | null> {
  const text = await res.text().catch(() => '');
  try {
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}
