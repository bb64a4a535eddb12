import { GhostTarget, ghostMarkerTag } from './ghost.target';
import { PublishError, type TargetEndpoint, type TargetPost } from './publish-target';

interface Call {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

function fakeFetch(handler: (call: Call) => Response) {
  const calls: Call[] = [];
  const http = (async (input: string | URL, init?: RequestInit) => {
    const call: Call = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined,
    };
    calls.push(call);
    return handler(call);
  }) as typeof fetch;
  return { http, calls };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const KEY = `${'a'.repeat(24)}:${'b'.repeat(64)}`;
const endpoint: TargetEndpoint = { id: 'e', tenantId: 't', type: 'ghost', url: 'https://ghost.example.com/', credentials: { adminApiKey: KEY }, config: {} };
const post: TargetPost = {
  id: 'p1',
  title: 'Hello',
  content: 'Some *text* <script>x()</script>',
  excerpt: 'x'.repeat(400),
  slug: 'hello',
  tags: ['One', 'Two', 'One'],
  featuredImageUrl: 'https://img.example.com/a.png',
  canonicalUrl: 'https://example.com/hello',
  blogUrl: null,
};
const remote = (status: string, extra: Record<string, unknown> = {}) => ({
  posts: [{ id: 'g1', slug: 'hello', status, url: 'https://ghost.example.com/hello/', updated_at: '2026-01-01T00:00:00.000Z', ...extra }],
});

describe('GhostTarget', () => {
  it('routes the Admin API client through the given fetch: token, Accept-Version, html source, tags and the marker tag', async () => {
    const { http, calls } = fakeFetch(() => json(201, remote('published')));
    const copy = await new GhostTarget(http).publish(endpoint, post, { marker: 'MK_1', remoteId: null, scheduledAt: null, event: 'post.published' });
    expect(copy).toEqual({ remoteId: 'g1', remoteUrl: 'https://ghost.example.com/hello/', state: 'published' });
    const [call] = calls;
    expect(call!.method).toBe('POST');
    expect(call!.url.pathname).toBe('/ghost/api/admin/posts/');
    expect(call!.url.searchParams.get('source')).toBe('html');
    expect(call!.headers['Accept-Version']).toBe('v5.0');
    expect(call!.headers.Authorization).toMatch(/^Ghost [\w-]+\.[\w-]+\.[\w-]+$/);
    const sent = (call!.body!.posts as Record<string, unknown>[])[0]!;
    expect(sent).toMatchObject({
      title: 'Hello',
      slug: 'hello',
      status: 'published',
      feature_image: 'https://img.example.com/a.png',
      canonical_url: 'https://example.com/hello',
      tags: [{ name: 'One' }, { name: 'Two' }, { name: '#margin-mk-1', slug: 'hash-margin-mk-1' }],
    });
    expect(sent.html).toBe('<p>Some <em>text</em> </p>\n');
    expect([...(sent.custom_excerpt as string)]).toHaveLength(300);
    expect(sent).not.toHaveProperty('published_at');
  });

  it('schedules with status scheduled and published_at', async () => {
    const { http, calls } = fakeFetch(() => json(201, remote('scheduled')));
    const at = new Date(Date.now() + 3_600_000);
    const copy = await new GhostTarget(http).publish(endpoint, post, { marker: 'm', remoteId: null, scheduledAt: at, event: 'post.published' });
    expect(copy.state).toBe('scheduled');
    expect((calls[0]!.body!.posts as Record<string, unknown>[])[0]).toMatchObject({ status: 'scheduled', published_at: at.toISOString() });
  });

  it('updates with the current updated_at and, on an edit collision (409), reads again and retries once', async () => {
    let puts = 0;
    const { http, calls } = fakeFetch(({ method }) => {
      if (method === 'GET') return json(200, remote('published', { updated_at: `2026-01-0${puts + 1}T00:00:00.000Z` }));
      puts++;
      return puts === 1
        ? json(409, { errors: [{ message: 'Saving failed! Someone else is editing this post.', type: 'UpdateCollisionError' }] })
        : json(200, remote('published'));
    });
    const copy = await new GhostTarget(http).publish(endpoint, post, { marker: 'm', remoteId: 'g1', scheduledAt: null, event: 'post.updated' });
    expect(copy.remoteId).toBe('g1');
    const edits = calls.filter((c) => c.method === 'PUT');
    expect(edits.map((c) => c.url.pathname)).toEqual(['/ghost/api/admin/posts/g1/', '/ghost/api/admin/posts/g1/']);
    expect(edits.map((c) => (c.body!.posts as { updated_at: string }[])[0]!.updated_at)).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z']);
  });

  it('a second collision is a PublishError, not a silent overwrite', async () => {
    const { http } = fakeFetch(({ method }) =>
      method === 'GET' ? json(200, remote('published')) : json(409, { errors: [{ message: 'collision', type: 'UpdateCollisionError' }] }),
    );
    await expect(
      new GhostTarget(http).publish(endpoint, post, { marker: 'm', remoteId: 'g1', scheduledAt: null, event: 'post.updated' }),
    ).rejects.toMatchObject({
      kind: 'permanent',
      options: { status: 409 },
    });
  });

  it('the marker tag fits Ghost: slug characters only, a long marker by its digest', () => {
    expect(ghostMarkerTag('Delivery:AB_12')).toEqual({ name: '#margin-delivery-ab-12', slug: 'hash-margin-delivery-ab-12' });
    const long = ghostMarkerTag('x'.repeat(400));
    expect(long.slug).toMatch(/^hash-margin-[0-9a-f]{64}$/);
    expect(ghostMarkerTag('x'.repeat(400))).toEqual(long);
    expect(() => ghostMarkerTag('::')).toThrow(PublishError);
  });

  it('find() filters by the marker tag across statuses and checks the tag on the hit', async () => {
    const tag = ghostMarkerTag('abc');
    const { http, calls } = fakeFetch(() => json(200, { ...remote('draft', { tags: [tag] }), meta: { pagination: {} } }));
    expect(await new GhostTarget(http).find(endpoint, post, 'abc')).toEqual({
      remoteId: 'g1',
      remoteUrl: 'https://ghost.example.com/hello/',
      state: 'published',
    });
    expect(calls[0]!.url.searchParams.get('filter')).toBe('tag:hash-margin-abc+status:[draft,scheduled,published,sent]');
    const empty = fakeFetch(() => json(200, { posts: [], meta: { pagination: {} } }));
    expect(await new GhostTarget(empty.http).find(endpoint, post, 'abc')).toBeNull();
  });

  it('read() maps state and times; a 404 means deleted', async () => {
    const { http } = fakeFetch(() => json(200, remote('scheduled', { count: { comments: 2 } })));
    expect(await new GhostTarget(http).read(endpoint, 'g1')).toEqual({
      exists: true,
      state: 'scheduled',
      remoteUrl: 'https://ghost.example.com/hello/',
      modifiedAt: new Date('2026-01-01T00:00:00.000Z'),
      engagement: { comments: 2 },
    });
    const gone = fakeFetch(() => json(404, { errors: [{ message: 'Post not found.', type: 'NotFoundError' }] }));
    expect(await new GhostTarget(gone.http).read(endpoint, 'g1')).toEqual({ exists: false });
  });

  it('unschedule() sets the copy back to draft with its updated_at', async () => {
    const { http, calls } = fakeFetch(({ method }) => json(200, remote(method === 'GET' ? 'scheduled' : 'draft')));
    await new GhostTarget(http).unschedule(endpoint, 'g1');
    expect(calls[1]).toMatchObject({ method: 'PUT', body: { posts: [{ status: 'draft', updated_at: '2026-01-01T00:00:00.000Z' }] } });
  });

  it('test() says what failed without quoting the key; errors are classified', async () => {
    const bad = fakeFetch(({ url }) =>
      url.pathname.endsWith('/site/')
        ? json(200, { site: { title: 'Blog', version: '5.130' } })
        : json(401, { errors: [{ message: 'Invalid token: invalid signature', type: 'UnauthorizedError' }] }),
    );
    const result = await new GhostTarget(bad.http).test(endpoint);
    expect(result).toEqual({ ok: false, detail: '401 from GET /ghost/api/admin/posts/: Ghost rejected the Admin API key: Invalid token: invalid signature' });
    const good = fakeFetch(({ url }) =>
      url.pathname.endsWith('/site/') ? json(200, { site: { title: 'Blog', version: '5.130' } }) : json(200, { posts: [], meta: {} }),
    );
    expect(await new GhostTarget(good.http).test(endpoint)).toEqual({ ok: true, detail: 'Admin API key accepted by "Blog" (Ghost 5.130)' });
    const malformed = await new GhostTarget(good.http).test({ ...endpoint, credentials: { adminApiKey: 'secret-looking-value' } });
    expect(malformed.ok).toBe(false);
    expect(malformed.detail).not.toContain('secret-looking-value');
    const none = fakeFetch(() => new Response('<html>', { status: 404 }));
    expect((await new GhostTarget(none.http).test(endpoint)).detail).toBe('no Ghost Admin API at https://ghost.example.com (404 from /ghost/api/admin/site/)');

    const down = fakeFetch(() => json(503, { errors: [{ message: 'down' }] }));
    const err = await new GhostTarget(down.http).read(endpoint, 'g1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect(err).toMatchObject({ kind: 'transient', options: { status: 503 } });
  });
});
