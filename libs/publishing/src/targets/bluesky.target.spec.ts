import { BlueskyTarget, recordKeyFor } from './bluesky.target';
import { PublishError, type TargetEndpoint, type TargetPost } from './publish-target';

const TID = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/;
const DID = 'did:plc:abcdefghijklmnopqrstuvwx';

interface Call {
  method: string;
  url: URL;
  inputType: string;
  bodyType: string;
  body: Record<string, unknown> | undefined;
}

/** A PDS speaking just enough XRPC: sessions, and a record store for getRecord/putRecord/deleteRecord. */
function fakePds(options: { password?: string; putStatus?: number } = {}) {
  const calls: Call[] = [];
  const records = new Map<string, Record<string, unknown>>();
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
  const http = (async (input: unknown, init?: RequestInit) => {
    const raw = init?.body;
    const text = raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : typeof raw === 'string' ? raw : undefined;
    const call: Call = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      inputType: typeof input === 'string' ? 'string' : Object.prototype.toString.call(input),
      bodyType: raw === undefined ? 'none' : raw instanceof Uint8Array ? 'Uint8Array' : typeof raw,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    };
    calls.push(call);
    const nsid = call.url.pathname.replace('/xrpc/', '');
    if (nsid === 'com.atproto.server.createSession') {
      if (call.body?.password !== (options.password ?? 'app-pass'))
        return json(401, { error: 'AuthenticationRequired', message: 'Invalid identifier or password' });
      return json(200, { accessJwt: 'a.b.c', refreshJwt: 'd.e.f', handle: 'alice.test', did: DID, active: true });
    }
    if (nsid === 'com.atproto.repo.getRecord') {
      const rkey = call.url.searchParams.get('rkey') ?? '';
      const value = records.get(rkey);
      return value
        ? json(200, { uri: `at://${DID}/app.bsky.feed.post/${rkey}`, cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', value })
        : json(400, { error: 'RecordNotFound', message: `Could not locate record: at://${DID}/app.bsky.feed.post/${rkey}` });
    }
    if (nsid === 'com.atproto.repo.putRecord') {
      if (options.putStatus)
        return json(options.putStatus, { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }, { 'ratelimit-reset': '9999999999' });
      records.set(call.body!.rkey as string, call.body!.record as Record<string, unknown>);
      return json(200, {
        uri: `at://${DID}/app.bsky.feed.post/${call.body!.rkey as string}`,
        cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
      });
    }
    if (nsid === 'com.atproto.repo.deleteRecord') {
      records.delete(call.body!.rkey as string);
      return json(200, {});
    }
    if (call.url.pathname === '/xrpc/app.bsky.feed.getPosts') {
      return json(200, { posts: [{ uri: call.url.searchParams.get('uris'), likeCount: 4, repostCount: 2, replyCount: 1 }] });
    }
    return json(404, { error: 'MethodNotImplemented' });
  }) as typeof fetch;
  return { http, calls, records };
}

const endpoint: TargetEndpoint = {
  id: 'e1',
  tenantId: 't',
  type: 'bluesky',
  url: 'https://pds.example.com/',
  credentials: { handle: '@alice.test', appPassword: 'app-pass' },
  config: {},
};
const post: TargetPost = {
  id: 'p1',
  title: 'Hello',
  content: 'body',
  excerpt: 'Read more',
  slug: 'hello',
  tags: ['news'],
  featuredImageUrl: null,
  canonicalUrl: 'https://example.com/hello',
  blogUrl: null,
};

describe('recordKeyFor', () => {
  it('is a valid TID, the same for the same marker and different for another', () => {
    const keys = ['a', 'b', 'delivery:123', 'x'.repeat(500)].map(recordKeyFor);
    for (const key of keys) expect(key).toMatch(TID);
    expect(recordKeyFor('delivery:123')).toBe(keys[2]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(() => recordKeyFor('')).toThrow(PublishError);
  });
});

describe('BlueskyTarget', () => {
  it('creates with putRecord under the marker key; a retry finds and rewrites the same record, never a second', async () => {
    const pds = fakePds();
    const target = new BlueskyTarget(pds.http);
    const request = { marker: 'm-1', remoteId: null, scheduledAt: null, event: 'post.published' as const };
    expect(await target.find(endpoint, post, 'm-1')).toBeNull();
    const first = await target.publish(endpoint, post, request);
    const rkey = recordKeyFor('m-1');
    expect(first).toEqual({
      remoteId: `at://${DID}/app.bsky.feed.post/${rkey}`,
      remoteUrl: `https://bsky.app/profile/alice.test/post/${rkey}`,
      state: 'published',
    });
    expect(await target.find(endpoint, post, 'm-1')).toEqual(first);
    const createdAt = pds.records.get(rkey)!.createdAt;
    const again = await target.publish(endpoint, { ...post, title: 'Hello again' }, { ...request, remoteId: first.remoteId });
    expect(again).toEqual(first);
    expect([...pds.records.keys()]).toEqual([rkey]);
    expect(pds.records.get(rkey)).toMatchObject({ $type: 'app.bsky.feed.post', text: 'Hello again\n\nRead more\n\n#news', createdAt });
    const put = pds.calls.find((c) => c.url.pathname.endsWith('putRecord'))!;
    expect(put.body).toMatchObject({ repo: DID, collection: 'app.bsky.feed.post', rkey, validate: true });
  });

  it('ignores scheduledAt (posts now; the caller delays the job)', async () => {
    const pds = fakePds();
    const copy = await new BlueskyTarget(pds.http).publish(endpoint, post, {
      marker: 'm',
      remoteId: null,
      scheduledAt: new Date(Date.now() + 3_600_000),
      event: 'post.published',
    });
    expect(copy.state).toBe('published');
    expect(pds.records.size).toBe(1);
  });

  it('hands the given fetch a URL string and a byte body, never a Request object (so the SSRF guard sees every call)', async () => {
    const pds = fakePds();
    await new BlueskyTarget(pds.http).publish(endpoint, post, { marker: 'm', remoteId: null, scheduledAt: null, event: 'post.published' });
    expect(pds.calls.length).toBeGreaterThan(2);
    for (const call of pds.calls) {
      expect(call.inputType).toBe('string');
      expect(['none', 'string', 'Uint8Array']).toContain(call.bodyType);
      expect(call.url.origin).toBe('https://pds.example.com');
    }
  });

  it('signs in once per endpoint and credentials, not per call', async () => {
    const pds = fakePds();
    const target = new BlueskyTarget(pds.http);
    await target.find(endpoint, post, 'a');
    await target.find(endpoint, post, 'b');
    expect(pds.calls.filter((c) => c.url.pathname.endsWith('createSession'))).toHaveLength(1);
  });

  it('bad credentials: test() says so and publish throws a permanent error without the password', async () => {
    const pds = fakePds({ password: 'other' });
    const target = new BlueskyTarget(pds.http);
    expect(await target.test(endpoint)).toEqual({ ok: false, detail: '401 from createSession: wrong handle or app password (AuthenticationRequired)' });
    const err = (await target
      .publish(endpoint, post, { marker: 'm', remoteId: null, scheduledAt: null, event: 'post.published' })
      .catch((e: unknown) => e)) as PublishError;
    expect(err).toBeInstanceOf(PublishError);
    expect(err).toMatchObject({ kind: 'permanent', options: { status: 401 } });
    expect(err.message).not.toContain('app-pass');
    expect(await target.test({ ...endpoint, credentials: { handle: 'alice.test' } })).toEqual({ ok: false, detail: 'credentials.appPassword is missing' });
  });

  it('a rate limit is transient, an unreachable PDS transient, a malformed remote id permanent', async () => {
    const limited = fakePds({ putStatus: 429 });
    const err = await new BlueskyTarget(limited.http)
      .publish(endpoint, post, { marker: 'm', remoteId: null, scheduledAt: null, event: 'post.published' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient', options: { status: 429 } });
    const down = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch;
    expect(await new BlueskyTarget(down).test(endpoint)).toEqual({ ok: false, detail: 'cannot reach https://pds.example.com: ECONNREFUSED' });
    await expect(new BlueskyTarget(fakePds().http).read(endpoint, 'https://bsky.app/x')).rejects.toMatchObject({ kind: 'permanent' });
  });

  it('read() says whether the record exists, with likes/reposts from a configured AppView; unschedule deletes', async () => {
    const pds = fakePds();
    const target = new BlueskyTarget(pds.http);
    const copy = await target.publish(endpoint, post, { marker: 'm', remoteId: null, scheduledAt: null, event: 'post.published' });
    expect(await target.read(endpoint, copy.remoteId)).toEqual({ exists: true, state: 'published', remoteUrl: copy.remoteUrl, modifiedAt: null });
    const withAppView = { ...endpoint, config: { appViewUrl: 'https://appview.example.com' } };
    expect((await target.read(withAppView, copy.remoteId)).engagement).toEqual({ likes: 4, reposts: 2, replies: 1 });
    await target.unschedule(endpoint, copy.remoteId);
    expect(await target.read(endpoint, copy.remoteId)).toEqual({ exists: false });
  });
});
