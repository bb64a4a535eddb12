import { PublishError, type TargetEndpoint, type TargetPost } from './publish-target';
import { WordPressTarget, wordpressMarkerComment } from './wordpress.target';

interface Call {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

type Handler = (call: Call) => Response | Promise<Response>;

function fakeFetch(handler: Handler) {
  const calls: Call[] = [];
  const http = (async (input: string | URL, init?: RequestInit) => {
    const call: Call = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    return handler(call);
  }) as typeof fetch;
  return { http, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const endpoint: TargetEndpoint = {
  id: 'ep1',
  tenantId: 't1',
  type: 'wordpress',
  url: 'https://blog.example.com/',
  credentials: { username: 'editor', applicationPassword: 'abcd efgh ijkl mnop' },
  config: { categories: ['News'] },
};

const post: TargetPost = {
  id: 'p1',
  title: 'Hello',
  content: '# Title\n\nSome *text*.\n\n<script>alert(1)</script>',
  excerpt: 'Short',
  slug: 'hello',
  tags: ['alpha', 'Beta', 'alpha'],
  featuredImageUrl: null,
  canonicalUrl: null,
  blogUrl: null,
};

const saved = (id: number, status = 'publish') => ({
  id,
  status,
  link: `https://blog.example.com/?p=${id}`,
  slug: 'hello',
  modified_gmt: '2026-01-01T10:00:00',
});

describe('WordPressTarget', () => {
  it('test() signs in with the application password (spaces removed) and says who', async () => {
    const { http, calls } = fakeFetch(() => json(200, { name: 'Editor', capabilities: { publish_posts: true } }));
    const result = await new WordPressTarget(http).test(endpoint);
    expect(result).toEqual({ ok: true, detail: 'signed in to https://blog.example.com as Editor; can publish posts' });
    expect(calls[0]!.url.toString()).toBe('https://blog.example.com/wp-json/wp/v2/users/me?context=edit');
    expect(calls[0]!.headers.Authorization).toBe(`Basic ${Buffer.from('editor:abcdefghijklmnop').toString('base64')}`);
  });

  it('test() names a wrong password, a missing REST API, a user who may not publish and an unreachable site', async () => {
    const target = (h: Handler) => new WordPressTarget(fakeFetch(h).http);
    const bad = await target(() => json(401, { code: 'incorrect_password', message: 'The provided password is an invalid application password.' })).test(
      endpoint,
    );
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/^401 from \/wp-json\/wp\/v2\/users\/me.*wrong username or application password/);
    expect(bad.detail).not.toContain('abcd');
    const html = await target(() => new Response('<html>not found</html>', { status: 404 })).test(endpoint);
    expect(html.detail).toMatch(/^no WordPress REST API at https:\/\/blog\.example\.com/);
    const noCap = await target(() => json(200, { name: 'Sub', capabilities: { read: true } })).test(endpoint);
    expect(noCap).toEqual({ ok: false, detail: expect.stringContaining('may not publish posts') });
    const down = await target(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    }).test(endpoint);
    expect(down).toEqual({ ok: false, detail: 'cannot reach https://blog.example.com: ECONNREFUSED' });
    const missing = await target(() => json(200, {})).test({ ...endpoint, credentials: { username: 'editor' } });
    expect(missing).toEqual({ ok: false, detail: 'credentials.applicationPassword is missing' });
  });

  it('publish() creates with sanitized HTML, the marker comment, mapped tags and categories (creating missing ones)', async () => {
    const { http, calls } = fakeFetch(({ method, url }) => {
      if (method === 'GET' && url.pathname.endsWith('/tags')) {
        return json(
          200,
          url.searchParams.get('search') === 'alpha'
            ? [
                { id: 5, name: 'alphabet' },
                { id: 7, name: 'Alpha' },
              ]
            : [],
        );
      }
      if (method === 'POST' && url.pathname.endsWith('/tags')) return json(400, { code: 'term_exists', message: 'exists', data: { status: 400, term_id: 9 } });
      if (method === 'GET' && url.pathname.endsWith('/categories')) return json(200, []);
      if (method === 'POST' && url.pathname.endsWith('/categories')) return json(201, { id: 3, name: 'News' });
      if (method === 'POST' && url.pathname.endsWith('/posts')) return json(201, saved(42));
      return json(500, {});
    });
    const copy = await new WordPressTarget(http).publish(endpoint, post, { marker: 'mk_abc-1', remoteId: null, scheduledAt: null, event: 'post.published' });
    expect(copy).toEqual({ remoteId: '42', remoteUrl: 'https://blog.example.com/?p=42', state: 'published' });
    const create = calls.find((c) => c.method === 'POST' && c.url.pathname.endsWith('/posts'))!;
    const body = create.body as Record<string, unknown>;
    expect(body).toMatchObject({ title: 'Hello', slug: 'hello', excerpt: 'Short', status: 'publish', tags: [7, 9], categories: [3] });
    expect(body.content).toMatch(/^<!-- margin:mk_abc-1 -->\n<h1>Title<\/h1>/);
    expect(body.content).not.toContain('<script>');
    expect(body).not.toHaveProperty('date_gmt');
  });

  it('publish() schedules with status future and date_gmt, and updates an existing copy by id', async () => {
    const { http, calls } = fakeFetch(({ method, url }) => {
      if (method === 'GET') return json(200, []);
      if (method === 'POST' && url.pathname.endsWith('/tags')) return json(201, { id: 1, name: 'x' });
      if (method === 'POST' && url.pathname.endsWith('/categories')) return json(201, { id: 2, name: 'News' });
      return json(200, saved(42, 'future'));
    });
    const at = new Date(Date.now() + 86_400_000);
    at.setUTCMilliseconds(0);
    const copy = await new WordPressTarget(http).publish(endpoint, post, { marker: 'mk', remoteId: '42', scheduledAt: at, event: 'post.updated' });
    expect(copy.state).toBe('scheduled');
    const update = calls.find((c) => c.method === 'POST' && c.url.pathname.includes('/posts'))!;
    expect(update.url.pathname).toBe('/wp-json/wp/v2/posts/42');
    expect(update.body).toMatchObject({ status: 'future', date_gmt: at.toISOString().slice(0, 19) });
  });

  it('publishing a scheduled copy now moves its date to now (WordPress would keep a future-dated post in `future`)', async () => {
    const { http, calls } = fakeFetch(({ method, url }) => {
      if (method === 'GET' && url.pathname.endsWith('/posts/42')) return json(200, { status: 'future' });
      if (method === 'GET') return json(200, []);
      return json(200, saved(42));
    });
    const before = Date.now();
    await new WordPressTarget(http).publish(
      { ...endpoint, config: {} },
      { ...post, tags: [] },
      { marker: 'mk', remoteId: '42', scheduledAt: null, event: 'post.updated' },
    );
    const update = calls.find((c) => c.method === 'POST')!;
    expect(update.body).toMatchObject({ status: 'publish' });
    const date = Date.parse(`${(update.body as { date_gmt: string }).date_gmt}Z`);
    expect(date).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(date).toBeLessThanOrEqual(Date.now());

    const published = fakeFetch(({ method, url }) =>
      method === 'GET' && url.pathname.endsWith('/posts/42') ? json(200, { status: 'publish' }) : json(200, saved(42)),
    );
    await new WordPressTarget(published.http).publish(
      { ...endpoint, config: {} },
      { ...post, tags: [] },
      { marker: 'mk', remoteId: '42', scheduledAt: null, event: 'post.updated' },
    );
    expect(published.calls.find((c) => c.method === 'POST')!.body).not.toHaveProperty('date_gmt');
  });

  it('find() searches every live status and only trusts a copy whose raw content carries the marker', async () => {
    const { http, calls } = fakeFetch(() =>
      json(200, [
        { ...saved(1), content: { raw: 'mentions mk-7 in the text' } },
        { ...saved(2, 'draft'), content: { raw: `${wordpressMarkerComment('mk-7')}\n<p>x</p>` } },
      ]),
    );
    expect(await new WordPressTarget(http).find(endpoint, post, 'mk-7')).toEqual({
      remoteId: '2',
      remoteUrl: 'https://blog.example.com/?p=2',
      state: 'published',
    });
    const q = calls[0]!.url.searchParams;
    expect(q.get('search')).toBe('mk-7');
    expect(q.get('status')).toBe('publish,future,draft,pending,private');
    expect(q.get('context')).toBe('edit');
    const none = fakeFetch(() => json(200, [{ ...saved(1), content: { raw: 'mk-7' } }]));
    expect(await new WordPressTarget(none.http).find(endpoint, post, 'mk-7')).toBeNull();
  });

  it('find() with a wrong application password that WordPress serves as anonymous (400 "Status is forbidden") says the credentials are wrong, permanently', async () => {
    const { http } = fakeFetch(() =>
      json(400, { code: 'rest_invalid_param', message: 'Invalid parameter(s): status', data: { status: 400, params: { status: 'Status is forbidden.' } } }),
    );
    const err = await new WordPressTarget(http).find(endpoint, post, 'm-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect(err).toMatchObject({ kind: 'permanent' });
    expect((err as Error).message).toMatch(
      /^400 from GET \/wp-json\/wp\/v2\/posts: WordPress served the request as an anonymous visitor .*wrong username or application password$/,
    );
  });

  it('read() maps status, modified time and the comment count; a missing or trashed post does not exist', async () => {
    const { http } = fakeFetch(({ url }) =>
      url.pathname.endsWith('/comments') ? json(200, [{}], { 'x-wp-total': '3' }) : json(200, { ...saved(42, 'future'), modified_gmt: '2026-01-02T03:04:05' }),
    );
    expect(await new WordPressTarget(http).read(endpoint, '42')).toEqual({
      exists: true,
      state: 'scheduled',
      remoteUrl: 'https://blog.example.com/?p=42',
      modifiedAt: new Date('2026-01-02T03:04:05Z'),
      engagement: { comments: 3 },
    });
    const gone = fakeFetch(() => json(404, { code: 'rest_post_invalid_id', message: 'Invalid post ID.' }));
    expect(await new WordPressTarget(gone.http).read(endpoint, '42')).toEqual({ exists: false });
    const trashed = fakeFetch(() => json(200, saved(42, 'trash')));
    expect(await new WordPressTarget(trashed.http).read(endpoint, '42')).toEqual({ exists: false });
  });

  it('unschedule() turns the copy into a draft', async () => {
    const { http, calls } = fakeFetch(() => json(200, saved(42, 'draft')));
    await new WordPressTarget(http).unschedule(endpoint, '42');
    expect(calls[0]).toMatchObject({ method: 'POST', body: { status: 'draft' } });
    expect(calls[0]!.url.pathname).toBe('/wp-json/wp/v2/posts/42');
  });

  it('classifies failures: 401 and 400 permanent, 5xx and 429 (with Retry-After) transient, a refused URL permanent', async () => {
    const failWith = async (h: Handler) =>
      new WordPressTarget(fakeFetch(h).http)
        .publish({ ...endpoint, config: {} }, { ...post, tags: [] }, { marker: 'm', remoteId: null, scheduledAt: null, event: 'post.published' })
        .then(
          () => {
            throw new Error('expected a PublishError');
          },
          (err: unknown) => err as PublishError,
        );
    const auth = await failWith(() => json(401, { code: 'rest_cannot_create', message: 'Sorry, you are not allowed to create posts as this user.' }));
    expect(auth).toBeInstanceOf(PublishError);
    expect(auth).toMatchObject({ kind: 'permanent', options: { status: 401 } });
    expect(auth.message).toContain('wrong username or application password');
    expect(auth.message).not.toContain('abcd');
    expect(await failWith(() => json(400, { code: 'rest_invalid_param', message: 'Invalid parameter(s): status' }))).toMatchObject({
      kind: 'permanent',
      message: '400 from POST /wp-json/wp/v2/posts: Invalid parameter(s): status (rest_invalid_param)',
    });
    expect(await failWith(() => json(502, {}))).toMatchObject({ kind: 'transient', options: { status: 502 } });
    expect(await failWith(() => json(429, {}, { 'retry-after': '7' }))).toMatchObject({ kind: 'transient', options: { status: 429, retryAfterMs: 7000 } });
    const refused = await failWith(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('10.0.0.1 is a private address'), { code: 'EOUTBOUNDREFUSED' }) });
    });
    expect(refused).toMatchObject({ kind: 'permanent', message: 'https://blog.example.com is not allowed: 10.0.0.1 is a private address' });
  });
});
