import { PublishError, type TargetEndpoint, type TargetPost } from './publish-target';
import { StrapiTarget } from './strapi.target';

interface Call {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: { data: Record<string, unknown> } | undefined;
}

function fakeFetch(handler: (call: Call) => Response) {
  const calls: Call[] = [];
  const http = (async (input: string | URL, init?: RequestInit) => {
    const call: Call = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? (JSON.parse(String(init.body)) as Call['body']) : undefined,
    };
    calls.push(call);
    return handler(call);
  }) as typeof fetch;
  return { http, calls };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const endpoint: TargetEndpoint = {
  id: 'e',
  tenantId: 't',
  type: 'strapi',
  url: 'https://cms.example.com/',
  credentials: { apiToken: 'tok-secret' },
  config: { contentType: 'articles' },
};
const post: TargetPost = {
  id: 'p',
  title: 'Hello',
  content: 'Some **text**',
  excerpt: 'Short',
  slug: 'hello',
  tags: ['a'],
  featuredImageUrl: null,
  canonicalUrl: 'https://example.com/hello',
  blogUrl: null,
};
const doc = { data: { id: 1, documentId: 'doc1', updatedAt: '2026-01-01T00:00:00.000Z' } };

describe('StrapiTarget', () => {
  it('creates a published document with the marker (markdown by default, HTML when configured) and updates by documentId', async () => {
    const { http, calls } = fakeFetch(() => json(201, doc));
    const target = new StrapiTarget(http);
    expect(await target.publish(endpoint, post, { marker: 'm1', remoteId: null, scheduledAt: null, event: 'post.published' })).toEqual({
      remoteId: 'doc1',
      remoteUrl: null,
      state: 'published',
    });
    expect(calls[0]).toMatchObject({ method: 'POST', headers: { Authorization: 'Bearer tok-secret' } });
    expect(calls[0]!.url.toString()).toBe('https://cms.example.com/api/articles?status=published');
    expect(calls[0]!.body!.data).toEqual({
      title: 'Hello',
      slug: 'hello',
      content: 'Some **text**',
      excerpt: 'Short',
      tags: ['a'],
      canonicalUrl: 'https://example.com/hello',
      marginMarker: 'm1',
    });
    await target.publish({ ...endpoint, config: { contentType: 'articles', contentFormat: 'html' } }, post, {
      marker: 'm1',
      remoteId: 'doc1',
      scheduledAt: null,
      event: 'post.updated',
    });
    expect(calls[1]).toMatchObject({ method: 'PUT' });
    expect(calls[1]!.url.pathname).toBe('/api/articles/doc1');
    expect(calls[1]!.body!.data.content).toBe('<p>Some <strong>text</strong></p>\n');
  });

  it('find() filters draft versions by the marker', async () => {
    const { http, calls } = fakeFetch(() => json(200, { data: [doc.data], meta: {} }));
    expect(await new StrapiTarget(http).find(endpoint, post, 'm 1')).toEqual({ remoteId: 'doc1', remoteUrl: null, state: 'published' });
    expect(calls[0]!.url.searchParams.get('filters[marginMarker][$eq]')).toBe('m 1');
    expect(calls[0]!.url.searchParams.get('status')).toBe('draft');
  });

  it('read() falls back from published to draft; neither means deleted', async () => {
    const notFound = json(404, { data: null, error: { status: 404, name: 'NotFoundError', message: 'Not Found' } });
    const draftOnly = fakeFetch(({ url }) => (url.searchParams.get('status') === 'published' ? notFound.clone() : json(200, doc)));
    expect(await new StrapiTarget(draftOnly.http).read(endpoint, 'doc1')).toEqual({
      exists: true,
      state: 'draft',
      remoteUrl: null,
      modifiedAt: new Date('2026-01-01T00:00:00.000Z'),
    });
    const gone = fakeFetch(() => notFound.clone());
    expect(await new StrapiTarget(gone.http).read(endpoint, 'doc1')).toEqual({ exists: false });
  });

  it('test() and errors say what failed, never quoting the token', async () => {
    const target = (status: number) => new StrapiTarget(fakeFetch(() => json(status, { error: { status, name: 'E', message: 'm' } })).http);
    expect(await target(401).test(endpoint)).toEqual({ ok: false, detail: '401 from GET /api/articles: Strapi rejected the API token' });
    expect((await target(403).test(endpoint)).detail).toMatch(/^403 from GET \/api\/articles: the API token may not read articles/);
    expect((await target(404).test(endpoint)).detail).toBe('no Strapi content type "articles" at https://cms.example.com (404 from GET /api/articles)');
    expect(await new StrapiTarget(fakeFetch(() => json(200, { data: [] })).http).test(endpoint)).toEqual({
      ok: true,
      detail: 'API token accepted by https://cms.example.com; content type articles readable',
    });
    expect((await target(200).test({ ...endpoint, config: {} })).detail).toMatch(/^config\.contentType must be/);
    const err = (await target(401)
      .publish(endpoint, post, { marker: 'm', remoteId: null, scheduledAt: null, event: 'post.published' })
      .catch((e: unknown) => e)) as PublishError;
    expect(err).toBeInstanceOf(PublishError);
    expect(err).toMatchObject({ kind: 'permanent', options: { status: 401 } });
    expect(err.message).not.toContain('tok-secret');
    await expect(target(400).publish(endpoint, post, { marker: 'm', remoteId: null, scheduledAt: null, event: 'post.published' })).rejects.toMatchObject({
      kind: 'permanent',
      message: '400 from POST /api/articles: m (E)',
    });
    await expect(target(503).read(endpoint, 'doc1')).rejects.toMatchObject({ kind: 'transient', options: { status: 503 } });
  });
});
