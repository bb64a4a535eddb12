// The real-platform publishing targets against the real platforms: WordPress 6.1, Ghost 5.130.4, a Bluesky
// PDS and Strapi 5.54.0, each installed once into the targets cache and started fresh on 127.0.0.1 for this
// file.
// Everything the targets send goes through core's SSRF-guarded fetch (loopback allowed, as for a site on
// the same machine); every result is checked through the platform's own API, not through the target.
import { networkInterfaces } from 'node:os';
import net from 'node:net';
import { AtpAgent } from '@atproto/api';
import { guardedFetch, OutboundPolicy } from '@margin/core';
import {
  BlueskyTarget,
  GhostTarget,
  PublishError,
  recordKeyFor,
  StrapiTarget,
  WordPressTarget,
  type PublishTarget,
  type TargetEndpoint,
  type TargetPost,
} from '@margin/publishing';
import { PDS_PORT, PLC_PORT, startBluesky, type RunningBluesky } from './support/targets/bluesky';
import { startGhost, type RunningGhost } from './support/targets/ghost';
import { startStrapi, type RunningStrapi } from './support/targets/strapi';
import { startWordPress, type RunningWordPress } from './support/targets/wordpress';

/** A first run installs the platforms (minutes); later runs use the cache. */
const INSTALL_TIMEOUT = 30 * 60_000;
jest.setTimeout(120_000);

const http = guardedFetch(new OutboundPolicy({ allowLoopback: true, allowPrivate: false, allowHosts: [] }));
const run = Date.now().toString(36);

const post = (n: string, over: Partial<TargetPost> = {}): TargetPost => ({
  id: `post-${n}`,
  title: `Margin e2e ${n} — ünïcødé ✓`,
  content: `## Section ${n}\n\nA paragraph with **bold**, a [link](https://example.com/${n}) and <script>alert(1)</script>.\n\n- one\n- two`,
  excerpt: `Excerpt for ${n}`,
  slug: `margin-e2e-${run}-${n}`,
  tags: ['Margin E2E', `tag-${n}`],
  featuredImageUrl: null,
  canonicalUrl: `https://example.com/canonical/${n}`,
  blogUrl: null,
  ...over,
});

const publishOf = (marker: string, remoteId: string | null = null, scheduledAt: Date | null = null) => ({
  marker,
  remoteId,
  scheduledAt,
  event: remoteId ? ('post.updated' as const) : ('post.published' as const),
});

/** What the delivery processor does on a retry after a crash that lost the create's result. */
async function publishAfterLostResult(target: PublishTarget, endpoint: TargetEndpoint, p: TargetPost, marker: string) {
  await target.publish(endpoint, p, publishOf(marker)); // landed remotely; the worker died before recording it
  const found = await target.find(endpoint, p, marker);
  return target.publish(endpoint, { ...p, title: `${p.title} (retried)` }, publishOf(marker, found?.remoteId ?? null));
}

async function expectPermanent(promise: Promise<unknown>, message: RegExp, secret: string): Promise<void> {
  const err = await promise.then(
    () => new Error('expected a PublishError'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PublishError);
  expect(err).toMatchObject({ kind: 'permanent' });
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toContain(secret);
}

describe('WordPress target against WordPress 6.1', () => {
  let wp: RunningWordPress;
  let endpoint: TargetEndpoint;
  const target = new WordPressTarget(http);
  const auth = () => ({ Authorization: `Basic ${Buffer.from(`${wp.username}:${wp.applicationPassword}`).toString('base64')}` });
  const wpGet = async <T>(path: string) => {
    const res = await fetch(`${wp.url}/wp-json/wp/v2${path}`, { headers: auth() });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  /** Every copy of ours on the site (any status but trash), found through WordPress's own search. */
  const copies = (marker: string) =>
    wpGet<{ id: number; content: { raw: string } }[]>(`/posts?search=${marker}&status=publish,future,draft,pending,private&context=edit&per_page=100`).then(
      (all) => all.filter((p) => p.content.raw.includes(`margin:${marker}`)),
    );

  beforeAll(async () => {
    wp = await startWordPress();
    endpoint = {
      id: 'wp',
      tenantId: 't',
      type: 'wordpress',
      url: wp.url,
      credentials: { username: wp.username, applicationPassword: wp.applicationPassword },
      config: { categories: ['Margin'] },
    };
  }, INSTALL_TIMEOUT);
  afterAll(() => wp?.stop());

  it('test() signs in; a wrong password and a site without WordPress say what failed', async () => {
    expect(await target.test(endpoint)).toEqual({ ok: true, detail: `signed in to ${wp.url} as admin; can publish posts` });
    const bad = await target.test({ ...endpoint, credentials: { username: wp.username, applicationPassword: 'xxxx xxxx xxxx xxxx xxxx xxxx' } });
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/^401 from \/wp-json\/wp\/v2\/users\/me.*wrong username or application password/);
    const elsewhere = await target.test({ ...endpoint, url: `${wp.url}/nothing-here` });
    expect(elsewhere).toEqual({ ok: false, detail: expect.stringMatching(/^no WordPress REST API at /) });
  });

  it('creates a post (HTML, tags, category), and publishing again updates the same post', async () => {
    const p = post('wp1');
    expect(await target.find(endpoint, p, `wp1-${run}`)).toBeNull();
    const created = await target.publish(endpoint, p, publishOf(`wp1-${run}`));
    expect(created.state).toBe('published');
    const remote = await wpGet<{ status: string; slug: string; title: { raw: string }; content: { raw: string }; tags: number[]; categories: number[] }>(
      `/posts/${created.remoteId}?context=edit`,
    );
    expect(remote).toMatchObject({ status: 'publish', slug: p.slug, title: { raw: p.title } });
    expect(remote.content.raw).toContain('<h2>Section wp1</h2>');
    expect(remote.content.raw).toContain('<strong>bold</strong>');
    expect(remote.content.raw).not.toContain('<script>');
    const tagNames = (await Promise.all(remote.tags.map((id) => wpGet<{ name: string }>(`/tags/${id}`)))).map((t) => t.name).sort();
    expect(tagNames).toEqual(['Margin E2E', 'tag-wp1']);
    expect((await Promise.all(remote.categories.map((id) => wpGet<{ name: string }>(`/categories/${id}`)))).map((c) => c.name)).toEqual(['Margin']);

    const updated = await target.publish(endpoint, { ...p, content: 'Changed **content**.', tags: ['Margin E2E'] }, publishOf(`wp1-${run}`, created.remoteId));
    expect(updated.remoteId).toBe(created.remoteId);
    const after = await wpGet<{ content: { raw: string }; tags: number[] }>(`/posts/${created.remoteId}?context=edit`);
    expect(after.content.raw).toContain('Changed <strong>content</strong>.');
    expect(after.tags).toHaveLength(1);
    expect(await copies(`wp1-${run}`)).toHaveLength(1);

    const state = await target.read(endpoint, created.remoteId);
    expect(state).toMatchObject({ exists: true, state: 'published', remoteUrl: created.remoteUrl, engagement: { comments: 0 } });
    expect(state.modifiedAt).toBeInstanceOf(Date);
  });

  it('a retry after a lost create result finds the first copy: exactly one post', async () => {
    const copy = await publishAfterLostResult(target, endpoint, post('wp2'), `wp2-${run}`);
    const all = await copies(`wp2-${run}`);
    expect(all.map((c) => String(c.id))).toEqual([copy.remoteId]);
  });

  it('schedules with WordPress `future`; unschedule makes it a draft that find still sees', async () => {
    const at = new Date(Date.now() + 2 * 86_400_000);
    const copy = await target.publish(endpoint, post('wp3'), publishOf(`wp3-${run}`, null, at));
    expect(copy.state).toBe('scheduled');
    const remote = await wpGet<{ status: string; date_gmt: string }>(`/posts/${copy.remoteId}?context=edit`);
    expect(remote).toEqual(expect.objectContaining({ status: 'future', date_gmt: at.toISOString().slice(0, 19) }));
    expect(await target.read(endpoint, copy.remoteId)).toMatchObject({ exists: true, state: 'scheduled' });
    await target.unschedule(endpoint, copy.remoteId);
    expect((await wpGet<{ status: string }>(`/posts/${copy.remoteId}?context=edit`)).status).toBe('draft');
    expect(await target.find(endpoint, post('wp3'), `wp3-${run}`)).toMatchObject({ remoteId: copy.remoteId });
  });

  it('a scheduled post published now (reschedule to now) goes live', async () => {
    const copy = await target.publish(endpoint, post('wp5'), publishOf(`wp5-${run}`, null, new Date(Date.now() + 86_400_000)));
    const now = await target.publish(endpoint, post('wp5'), publishOf(`wp5-${run}`, copy.remoteId));
    expect(now).toMatchObject({ remoteId: copy.remoteId, state: 'published' });
    expect((await wpGet<{ status: string }>(`/posts/${copy.remoteId}?context=edit`)).status).toBe('publish');
    expect(await copies(`wp5-${run}`)).toHaveLength(1);
  });

  it('bad credentials: a permanent PublishError naming the problem, and nothing is created', async () => {
    const before = (await wpGet<unknown[]>('/posts?status=publish,future,draft&per_page=100&context=edit')).length;
    const wrong = 'abcd efgh ijkl mnop qrst uvwx';
    await expectPermanent(
      target.publish({ ...endpoint, credentials: { username: wp.username, applicationPassword: wrong } }, post('wp4'), publishOf(`wp4-${run}`)),
      /^401 from .*wrong username or application password/,
      'abcd',
    );
    expect((await wpGet<unknown[]>('/posts?status=publish,future,draft&per_page=100&context=edit')).length).toBe(before);
  });
});

describe('Ghost target against Ghost 5.130.4', () => {
  let ghost: RunningGhost;
  let endpoint: TargetEndpoint;
  const target = new GhostTarget(http);
  // The platform's own client, straight to Ghost, to check what the target did.
  const GhostAdminAPI = require('@tryghost/admin-api') as (o: { url: string; key: string; version: string }) => {
    posts: {
      read(d: { id: string }, q?: Record<string, unknown>): Promise<Record<string, unknown>>;
      browse(q?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
    };
  };
  let admin: ReturnType<typeof GhostAdminAPI>;
  const copies = (markerSlug: string) => admin.posts.browse({ filter: `tag:hash-margin-${markerSlug}`, limit: 'all' });

  beforeAll(async () => {
    ghost = await startGhost();
    endpoint = { id: 'ghost', tenantId: 't', type: 'ghost', url: ghost.url, credentials: { adminApiKey: ghost.adminApiKey }, config: {} };
    admin = GhostAdminAPI({ url: ghost.url, key: ghost.adminApiKey, version: 'v5.0' });
  }, INSTALL_TIMEOUT);
  afterAll(() => ghost?.stop());

  it('test() accepts the key; a wrong or malformed key says what failed', async () => {
    expect(await target.test(endpoint)).toEqual({ ok: true, detail: expect.stringMatching(/^Admin API key accepted by "Margin e2e" \(Ghost 5\.130/) });
    const [id] = ghost.adminApiKey.split(':');
    const wrong = await target.test({ ...endpoint, credentials: { adminApiKey: `${id}:${'0'.repeat(64)}` } });
    expect(wrong).toEqual({ ok: false, detail: expect.stringMatching(/^401 from GET \/ghost\/api\/admin\/posts\/: Ghost rejected the Admin API key/) });
    expect((await target.test({ ...endpoint, credentials: { adminApiKey: 'not-a-key' } })).detail).toMatch(/^credentials\.adminApiKey must look like/);
  });

  it('creates a post (HTML, tags, canonical URL), and publishing again updates the same post', async () => {
    const p = post('g1');
    expect(await target.find(endpoint, p, `g1-${run}`)).toBeNull();
    const created = await target.publish(endpoint, p, publishOf(`g1-${run}`));
    const remote = await admin.posts.read({ id: created.remoteId }, { formats: 'html', include: 'tags' });
    expect(remote).toMatchObject({ status: 'published', slug: p.slug, title: p.title, canonical_url: p.canonicalUrl, custom_excerpt: p.excerpt });
    expect(remote.html).toContain('<strong>bold</strong>');
    expect(remote.html).not.toContain('<script>');
    expect((remote.tags as { name: string }[]).map((t) => t.name)).toEqual(['Margin E2E', 'tag-g1', `#margin-g1-${run}`]);
    expect(created.remoteUrl).toBe(remote.url);

    const updated = await target.publish(endpoint, { ...p, content: 'Changed **content**.' }, publishOf(`g1-${run}`, created.remoteId));
    expect(updated.remoteId).toBe(created.remoteId);
    expect((await admin.posts.read({ id: created.remoteId }, { formats: 'html' })).html).toContain('Changed <strong>content</strong>.');
    expect(await copies(`g1-${run}`)).toHaveLength(1);
    expect(await target.read(endpoint, created.remoteId)).toMatchObject({ exists: true, state: 'published', remoteUrl: remote.url });
  });

  it('a retry after a lost create result finds the first copy: exactly one post', async () => {
    const copy = await publishAfterLostResult(target, endpoint, post('g2'), `g2-${run}`);
    expect((await copies(`g2-${run}`)).map((c) => c.id)).toEqual([copy.remoteId]);
  });

  it('schedules with Ghost `scheduled`, which Ghost itself publishes when the time comes', async () => {
    const at = new Date(Date.now() + 8_000);
    const copy = await target.publish(endpoint, post('g3'), publishOf(`g3-${run}`, null, at));
    expect(copy.state).toBe('scheduled');
    const remote = await admin.posts.read({ id: copy.remoteId });
    expect(remote.status).toBe('scheduled');
    expect(new Date(remote.published_at as string).getTime()).toBe(Math.floor(at.getTime() / 1000) * 1000);
    const until = Date.now() + 90_000;
    while ((await admin.posts.read({ id: copy.remoteId })).status !== 'published') {
      if (Date.now() > until) throw new Error('Ghost did not publish the scheduled post');
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(await target.read(endpoint, copy.remoteId)).toMatchObject({ exists: true, state: 'published' });
  });

  it('unschedule takes a scheduled post back to draft', async () => {
    const copy = await target.publish(endpoint, post('g4'), publishOf(`g4-${run}`, null, new Date(Date.now() + 86_400_000)));
    await target.unschedule(endpoint, copy.remoteId);
    expect((await admin.posts.read({ id: copy.remoteId })).status).toBe('draft');
    expect(await target.find(endpoint, post('g4'), `g4-${run}`)).toMatchObject({ remoteId: copy.remoteId });
  });

  it('a scheduled post published now (reschedule to now) goes live', async () => {
    const copy = await target.publish(endpoint, post('g6'), publishOf(`g6-${run}`, null, new Date(Date.now() + 86_400_000)));
    const now = await target.publish(endpoint, post('g6'), publishOf(`g6-${run}`, copy.remoteId));
    expect(now).toMatchObject({ remoteId: copy.remoteId, state: 'published' });
    const remote = await admin.posts.read({ id: copy.remoteId });
    expect(remote.status).toBe('published');
    expect(new Date(remote.published_at as string).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('bad credentials: a permanent PublishError naming the problem, and nothing is created', async () => {
    const [id] = ghost.adminApiKey.split(':');
    const wrongSecret = 'f'.repeat(64);
    await expectPermanent(
      target.publish({ ...endpoint, credentials: { adminApiKey: `${id}:${wrongSecret}` } }, post('g5'), publishOf(`g5-${run}`)),
      /^401 from POST \/ghost\/api\/admin\/posts\/: Ghost rejected the Admin API key/,
      wrongSecret,
    );
    expect(await copies(`g5-${run}`)).toHaveLength(0);
  });
});

describe('Bluesky target against a local PDS (@atproto/dev-env)', () => {
  let bsky: RunningBluesky;
  let endpoint: TargetEndpoint;
  const target = new BlueskyTarget(http);
  let reader: AtpAgent;
  const posts = async () =>
    (await reader.com.atproto.repo.listRecords({ repo: bsky.did, collection: 'app.bsky.feed.post', limit: 100 })).data.records as {
      uri: string;
      value: Record<string, unknown>;
    }[];

  beforeAll(async () => {
    bsky = await startBluesky();
    endpoint = { id: 'bsky', tenantId: 't', type: 'bluesky', url: bsky.url, credentials: { handle: bsky.handle, appPassword: bsky.appPassword }, config: {} };
    reader = new AtpAgent({ service: bsky.url });
  }, INSTALL_TIMEOUT);
  afterAll(() => bsky?.stop());

  it('the PLC and PDS listen on loopback only', async () => {
    const reachable = (host: string, port: number) =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect({ host, port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
    const external = Object.values(networkInterfaces())
      .flat()
      .flatMap((a) => (a && a.family === 'IPv4' && !a.internal ? [a.address] : []));
    for (const port of [PLC_PORT, PDS_PORT]) {
      expect(await reachable('127.0.0.1', port)).toBe(true);
      for (const address of external) expect({ address, port, reachable: await reachable(address, port) }).toEqual({ address, port, reachable: false });
    }
  });

  it('test() signs in with the app password; a wrong one says what failed', async () => {
    expect(await target.test(endpoint)).toEqual({ ok: true, detail: `signed in to ${bsky.url} as ${bsky.handle} (${bsky.did}); can post` });
    expect(await target.test({ ...endpoint, id: 'other', credentials: { handle: bsky.handle, appPassword: 'aaaa-bbbb-cccc-dddd' } })).toEqual({
      ok: false,
      detail: '401 from createSession: wrong handle or app password (AuthenticationRequired)',
    });
  });

  it('creates a post under the marker key with facets and a link card, and publishing again updates the same record', async () => {
    const p = post('b1', { excerpt: 'Read https://example.com/read 👀 now', tags: ['Margin E2E', 'atproto'] });
    expect(await target.find(endpoint, p, `b1-${run}`)).toBeNull();
    const created = await target.publish(endpoint, p, publishOf(`b1-${run}`));
    expect(created.remoteId).toBe(`at://${bsky.did}/app.bsky.feed.post/${recordKeyFor(`b1-${run}`)}`);
    const record = (await reader.com.atproto.repo.getRecord({ repo: bsky.did, collection: 'app.bsky.feed.post', rkey: recordKeyFor(`b1-${run}`) })).data
      .value as {
      text: string;
      facets: { index: { byteStart: number; byteEnd: number }; features: { $type: string }[] }[];
      embed: { external: { uri: string; title: string } };
    };
    expect(record.text).toBe(`${p.title}\n\nRead https://example.com/read 👀 now\n\n#MarginE2E #atproto`);
    const bytes = Buffer.from(record.text, 'utf8');
    expect(record.facets.map((f) => bytes.subarray(f.index.byteStart, f.index.byteEnd).toString('utf8'))).toEqual([
      'https://example.com/read',
      '#MarginE2E',
      '#atproto',
    ]);
    expect(record.embed.external).toMatchObject({ uri: p.canonicalUrl, title: p.title });

    const updated = await target.publish(endpoint, { ...p, title: 'Changed title' }, publishOf(`b1-${run}`, created.remoteId));
    expect(updated.remoteId).toBe(created.remoteId);
    const all = (await posts()).filter((r) => r.uri === created.remoteId);
    expect(all).toHaveLength(1);
    expect((all[0]?.value.text as string).startsWith('Changed title\n\n')).toBe(true);
    expect(await target.read(endpoint, created.remoteId)).toMatchObject({ exists: true, state: 'published' });
  });

  it('a retry after a lost create result finds the first record: exactly one post', async () => {
    const before = (await posts()).length;
    const copy = await publishAfterLostResult(target, endpoint, post('b2'), `b2-${run}`);
    const after = await posts();
    expect(after).toHaveLength(before + 1);
    expect(after.some((r) => r.uri === copy.remoteId && (r.value.text as string).includes('(retried)'))).toBe(true);
  });

  it('scheduledAt is ignored (Bluesky has no scheduling: the caller delays the job); unschedule deletes', async () => {
    const copy = await target.publish(endpoint, post('b3'), publishOf(`b3-${run}`, null, new Date(Date.now() + 86_400_000)));
    expect(copy.state).toBe('published');
    expect((await posts()).some((r) => r.uri === copy.remoteId)).toBe(true);
    await target.unschedule(endpoint, copy.remoteId);
    expect((await posts()).some((r) => r.uri === copy.remoteId)).toBe(false);
    expect(await target.read(endpoint, copy.remoteId)).toEqual({ exists: false });
  });

  it('bad credentials: a permanent PublishError naming the problem, and nothing is posted', async () => {
    const before = (await posts()).length;
    const wrong = 'zzzz-yyyy-xxxx-wwww';
    await expectPermanent(
      target.publish({ ...endpoint, id: 'bad', credentials: { handle: bsky.handle, appPassword: wrong } }, post('b4'), publishOf(`b4-${run}`)),
      /^401 from createSession: wrong handle or app password/,
      wrong,
    );
    expect(await posts()).toHaveLength(before);
  });
});

describe('Strapi target against Strapi 5.54.0 (headless)', () => {
  let strapi: RunningStrapi;
  let endpoint: TargetEndpoint;
  const target = new StrapiTarget(http);
  const api = async <T>(path: string) => {
    const res = await fetch(`${strapi.url}/api/${strapi.contentType}${path}`, { headers: { Authorization: `Bearer ${strapi.apiToken}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: T }).data;
  };
  const copies = (marker: string) => api<{ documentId: string }[]>(`?filters[marginMarker][$eq]=${encodeURIComponent(marker)}&status=draft`);

  beforeAll(async () => {
    strapi = await startStrapi();
    endpoint = {
      id: 'strapi',
      tenantId: 't',
      type: 'strapi',
      url: strapi.url,
      credentials: { apiToken: strapi.apiToken },
      config: { contentType: strapi.contentType, contentFormat: 'html' },
    };
  }, INSTALL_TIMEOUT);
  afterAll(() => strapi?.stop());

  it('test() accepts the token; a wrong token and an unknown content type say what failed', async () => {
    expect(await target.test(endpoint)).toEqual({ ok: true, detail: `API token accepted by ${strapi.url}; content type articles readable` });
    expect(await target.test({ ...endpoint, credentials: { apiToken: 'f'.repeat(64) } })).toEqual({
      ok: false,
      detail: '401 from GET /api/articles: Strapi rejected the API token',
    });
    expect((await target.test({ ...endpoint, config: { contentType: 'nothings' } })).detail).toMatch(/^no Strapi content type "nothings"/);
  });

  it('creates a published document, and publishing again updates the same document', async () => {
    const p = post('s1');
    expect(await target.find(endpoint, p, `s1-${run}`)).toBeNull();
    const created = await target.publish(endpoint, p, publishOf(`s1-${run}`));
    const remote = await api<{ title: string; slug: string; content: string; tags: string[]; publishedAt: string | null }>(
      `/${created.remoteId}?status=published`,
    );
    expect(remote).toMatchObject({ title: p.title, slug: p.slug, tags: p.tags });
    expect(remote.publishedAt).not.toBeNull();
    expect(remote.content).toContain('<strong>bold</strong>');
    expect(remote.content).not.toContain('<script>');
    const updated = await target.publish(endpoint, { ...p, content: 'Changed **content**.' }, publishOf(`s1-${run}`, created.remoteId));
    expect(updated.remoteId).toBe(created.remoteId);
    expect((await api<{ content: string }>(`/${created.remoteId}?status=published`)).content).toContain('Changed <strong>content</strong>.');
    expect(await copies(`s1-${run}`)).toHaveLength(1);
    expect(await target.read(endpoint, created.remoteId)).toMatchObject({ exists: true, state: 'published' });
  });

  it('a retry after a lost create result finds the first document: exactly one copy', async () => {
    const copy = await publishAfterLostResult(target, endpoint, post('s2'), `s2-${run}`);
    expect((await copies(`s2-${run}`)).map((d) => d.documentId)).toEqual([copy.remoteId]);
  });

  it('unschedule deletes; bad credentials are a permanent PublishError and create nothing', async () => {
    const copy = await target.publish(endpoint, post('s3'), publishOf(`s3-${run}`));
    await target.unschedule(endpoint, copy.remoteId);
    expect(await target.read(endpoint, copy.remoteId)).toEqual({ exists: false });
    const wrong = 'e'.repeat(64);
    await expectPermanent(
      target.publish({ ...endpoint, credentials: { apiToken: wrong } }, post('s4'), publishOf(`s4-${run}`)),
      /^401 from POST \/api\/articles: Strapi rejected the API token/,
      wrong,
    );
    expect(await copies(`s4-${run}`)).toHaveLength(0);
  });
});
