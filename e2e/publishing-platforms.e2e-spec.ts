// Publishing to real platforms through Margin's own stack: the built API, workers and the LLM emulator as
// separate processes (see support/cluster.ts) and WordPress 6.1, Ghost 5.130.4 and (when its fixed ports are
// free) a Bluesky PDS from the targets harness, all on 127.0.0.1. Everything is driven over REST as a user
// would, and every result is checked through the platform's own API, never through Margin or its targets.
import { spawnSync } from 'node:child_process';
import { AtpAgent } from '@atproto/api';
import { startCluster, type Cluster } from './support/cluster';
import { PDS_PORT, PLC_PORT, startBluesky, type RunningBluesky } from './support/targets/bluesky';
import { startGhost, type RunningGhost } from './support/targets/ghost';
import { startWordPress, type RunningWordPress } from './support/targets/wordpress';

jest.setTimeout(120_000);
const SETUP_TIMEOUT = 15 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = Date.now().toString(36);

interface Delivery {
  id: string;
  endpointId: string;
  status: string;
  remoteId: string | null;
  remoteUrl: string | null;
  attempts: number;
  lastError: string | null;
  updatedAt: string;
}

/** One copy on a platform, as the platform itself reports it. */
interface RemoteCopy {
  id: string;
  /** Title and body text together (Bluesky has only the text). */
  text: string;
  status: string;
}

/** What a test needs to know of one platform: how to make an endpoint for it and how to read it directly. */
interface Platform {
  name: string;
  endpoint: (bad: boolean) => Record<string, unknown>;
  /** Every copy on the platform whose text contains `key` (any status, drafts and scheduled included). */
  copies(key: string): Promise<RemoteCopy[]>;
  /** What the platform calls a copy it holds for later ("future", "scheduled"), or null when it has no scheduler. */
  scheduledStatus: string | null;
  badCredentials: RegExp;
}

/** Bluesky's dev-env listens on fixed ports: another run (CI) may hold them, and then Bluesky is skipped. */
function blueskyPortsBusy(): number[] {
  const out = spawnSync('ss', ['-ltnH'], { encoding: 'utf8' }).stdout ?? '';
  return [PLC_PORT, PDS_PORT, PDS_PORT + 1].filter((port) => new RegExp(`:${port}\\s`).test(out));
}

function wordpress(wp: RunningWordPress): Platform {
  const auth = { Authorization: `Basic ${Buffer.from(`${wp.username}:${wp.applicationPassword}`).toString('base64')}` };
  return {
    name: 'WordPress',
    endpoint: (bad) => ({
      type: 'wordpress',
      name: bad ? 'WordPress (wrong password)' : 'WordPress',
      url: wp.url,
      credentials: { username: wp.username, applicationPassword: bad ? 'abcd efgh ijkl mnop qrst uvwx' : wp.applicationPassword },
    }),
    async copies(key) {
      const res = await fetch(
        `${wp.url}/wp-json/wp/v2/posts?search=${encodeURIComponent(key)}&status=publish,future,draft,pending,private&context=edit&per_page=100`,
        { headers: auth },
      );
      expect(res.status).toBe(200);
      const posts = (await res.json()) as { id: number; status: string; title: { raw: string }; content: { raw: string } }[];
      return posts.map((p) => ({ id: String(p.id), status: p.status, text: `${p.title.raw}\n${p.content.raw}` })).filter((p) => p.text.includes(key));
    },
    scheduledStatus: 'future',
    badCredentials: /^40[01] from .*wrong username or application password/,
  };
}

function ghost(g: RunningGhost): Platform {
  // The platform's own client, straight to Ghost.
  const GhostAdminAPI = require('@tryghost/admin-api') as (o: { url: string; key: string; version: string }) => {
    posts: { browse(q?: Record<string, unknown>): Promise<{ id: string; title: string; html: string | null; status: string }[]> };
  };
  const admin = GhostAdminAPI({ url: g.url, key: g.adminApiKey, version: 'v5.0' });
  const [keyId] = g.adminApiKey.split(':');
  return {
    name: 'Ghost',
    endpoint: (bad) => ({
      type: 'ghost',
      name: bad ? 'Ghost (wrong key)' : 'Ghost',
      url: g.url,
      credentials: { adminApiKey: bad ? `${keyId}:${'f'.repeat(64)}` : g.adminApiKey },
    }),
    async copies(key) {
      const posts = await admin.posts.browse({ limit: 'all', formats: 'html', filter: 'status:[draft,scheduled,published]' });
      return posts.map((p) => ({ id: p.id, status: p.status, text: `${p.title}\n${p.html ?? ''}` })).filter((p) => p.text.includes(key));
    },
    scheduledStatus: 'scheduled',
    // the runner looks for an earlier copy (GET) before it creates one (POST): either may be the first refused
    badCredentials: /^401 from (GET|POST) \/ghost\/api\/admin\/posts\/: Ghost rejected the Admin API key/,
  };
}

function bluesky(b: RunningBluesky): Platform {
  const reader = new AtpAgent({ service: b.url });
  return {
    name: 'Bluesky',
    endpoint: (bad) => ({
      type: 'bluesky',
      name: bad ? 'Bluesky (wrong app password)' : 'Bluesky',
      url: b.url,
      credentials: { handle: b.handle, appPassword: bad ? 'zzzz-yyyy-xxxx-wwww' : b.appPassword },
    }),
    async copies(key) {
      const records: RemoteCopy[] = [];
      let cursor: string | undefined;
      do {
        const page = await reader.com.atproto.repo.listRecords({ repo: b.did, collection: 'app.bsky.feed.post', limit: 100, cursor });
        for (const r of page.data.records) records.push({ id: r.uri, status: 'published', text: String((r.value as { text?: string }).text ?? '') });
        cursor = page.data.records.length === 100 ? page.data.cursor : undefined;
      } while (cursor);
      return records.filter((r) => r.text.includes(key));
    },
    scheduledStatus: null,
    badCredentials: /^401 from createSession: wrong handle or app password/,
  };
}

describe('publishing to real platforms through the API and workers', () => {
  let c: Cluster;
  let wp: RunningWordPress | undefined;
  let gh: RunningGhost | undefined;
  let bsky: RunningBluesky | undefined;
  const platforms: Platform[] = [];
  const endpoints = new Map<string, { good: string; bad: string }>();
  const auth = () => ({ authorization: `Bearer ${c.owner.token}` });

  const api = async <T>(method: string, route: string, body?: unknown, expected?: number) => {
    const res = await c.api<T>(method, route, body, auth());
    if (expected !== undefined && res.status !== expected) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const createPost = (key: string, version: number) => api<{ id: string }>('POST', '/api/v1/posts', postBody(key, version), 201).then((p) => p.id);
  const postBody = (key: string, version: number) => ({
    title: `Margin ${key} v${version}`,
    content: `Body of ${key}, version ${version}, with **bold** text.`,
    excerpt: `Excerpt of ${key} v${version}`,
    tags: ['Margin E2E'],
  });
  const publish = (postId: string, endpointIds: string[], scheduledAt?: Date) =>
    api<{ deliveries: { id: string; endpointId: string; status: string }[] }>(
      'POST',
      `/api/v1/posts/${postId}/publish`,
      { endpointIds, ...(scheduledAt ? { scheduledAt: scheduledAt.toISOString() } : {}) },
      202,
    );
  /** Polls the post's deliveries until `done` holds for all of them (or the time is up). */
  async function deliveriesUntil(postId: string, done: (d: Delivery) => boolean, timeoutMs = 60_000): Promise<Delivery[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const all = await api<Delivery[]>('GET', `/api/v1/posts/${postId}/deliveries`, undefined, 200);
      if (all.length > 0 && all.every(done)) return all;
      if (Date.now() > until) throw new Error(`deliveries of ${postId} not done in time: ${JSON.stringify(all)}`);
      await sleep(250);
    }
  }
  const settled = (d: Delivery) => d.status === 'published' || d.status === 'failed';

  beforeAll(async () => {
    const busy = blueskyPortsBusy();
    if (busy.length > 0) process.stdout.write(`Bluesky skipped: ports ${busy.join(', ')} are in use (another run of the PDS?); WordPress and Ghost only\n`);
    const fast = { latencyMs: 50, tokensPerSecond: 5000, parallel: 10, rpm: 0, tpm: 0 };
    const started = await Promise.allSettled([
      // the platforms are on loopback, which the worker's outbound policy refuses unless told
      startCluster({ workers: 1, emulator: { defaults: fast, models: [{ name: 'qwen3:8b', ...fast }] }, env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } }),
      startWordPress(),
      startGhost(),
      busy.length === 0 ? startBluesky() : Promise.resolve(undefined),
    ] as const);
    const [cluster, w, g, b] = started;
    if (cluster.status === 'fulfilled') c = cluster.value;
    if (w.status === 'fulfilled') wp = w.value;
    if (g.status === 'fulfilled') gh = g.value;
    if (b.status === 'fulfilled') bsky = b.value;
    // the ports may have been taken between the look and the start: Bluesky is optional, never a failure here
    else
      process.stdout.write(
        `Bluesky skipped: the PDS did not start (${String((b.reason as Error)?.message ?? b.reason).split('\n')[0]}); WordPress and Ghost only\n`,
      );
    const failed = [cluster, w, g].find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    platforms.push(wordpress(wp as RunningWordPress), ghost(gh as RunningGhost));
    if (bsky) platforms.push(bluesky(bsky));
    for (const p of platforms) {
      const good = await api<{ id: string }>('POST', '/api/v1/endpoints', p.endpoint(false), 201);
      const bad = await api<{ id: string }>('POST', '/api/v1/endpoints', p.endpoint(true), 201);
      endpoints.set(p.name, { good: good.id, bad: bad.id });
    }
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    await Promise.all([c?.stop(), wp?.stop(), gh?.stop(), bsky?.stop()]);
  });

  const each = () => platforms.map((p) => ({ p, ids: endpoints.get(p.name) as { good: string; bad: string } }));

  it('POST /endpoints/:id/test: the right credentials sign in, the wrong ones say what failed', async () => {
    for (const { p, ids } of each()) {
      const good = await api<{ ok: boolean; detail: string }>('POST', `/api/v1/endpoints/${ids.good}/test`, undefined, 200);
      expect({ platform: p.name, ...good }).toMatchObject({ platform: p.name, ok: true });
      const bad = await api<{ ok: boolean; detail: string }>('POST', `/api/v1/endpoints/${ids.bad}/test`, undefined, 200);
      expect({ platform: p.name, ok: bad.ok }).toEqual({ platform: p.name, ok: false });
      expect(bad.detail).toMatch(/^401 from /);
      expect(bad.detail).toMatch(/wrong|rejected/);
    }
  });

  it('publish: each delivery is published with a remote id and URL, and each platform has exactly one copy; an edit published again updates that copy', async () => {
    const good = each().map((e) => e.ids.good);
    const key = `${run}-one`;
    const postId = await createPost(key, 1);
    const requested = await publish(postId, good);
    expect(requested.deliveries.map((d) => d.endpointId).sort()).toEqual([...good].sort());
    const first = await deliveriesUntil(postId, settled);
    for (const { p, ids } of each()) {
      const d = first.find((x) => x.endpointId === ids.good) as Delivery;
      expect({ platform: p.name, status: d.status, lastError: d.lastError }).toEqual({ platform: p.name, status: 'published', lastError: null });
      expect(d.remoteId).toBeTruthy();
      expect(d.remoteUrl).toMatch(/^https?:\/\/\S+$/);
      const copies = await p.copies(key);
      expect({ platform: p.name, ids: copies.map((x) => x.id) }).toEqual({ platform: p.name, ids: [d.remoteId] });
      expect(copies[0]?.text).toContain(`Margin ${key} v1`);
      if (p.name !== 'Bluesky') expect(copies[0]?.text).toContain(`Body of ${key}, version 1, with <strong>bold</strong> text.`);
    }

    await api('PATCH', `/api/v1/posts/${postId}`, postBody(key, 2), 200);
    const again = Date.now();
    await publish(postId, good);
    // the request puts each delivery back to pending: the second round is done once all are settled after it
    const second = await deliveriesUntil(postId, (d) => settled(d) && new Date(d.updatedAt).getTime() >= again);
    for (const { p, ids } of each()) {
      const before = first.find((x) => x.endpointId === ids.good) as Delivery;
      const d = second.find((x) => x.endpointId === ids.good) as Delivery;
      expect({ platform: p.name, status: d.status, remoteId: d.remoteId }).toEqual({ platform: p.name, status: 'published', remoteId: before.remoteId });
      const copies = await p.copies(key);
      expect({ platform: p.name, ids: copies.map((x) => x.id) }).toEqual({ platform: p.name, ids: [before.remoteId] });
      expect(copies[0]?.text).toContain(`Margin ${key} v2`);
      expect(copies[0]?.text).not.toContain(`Margin ${key} v1`);
      if (p.name !== 'Bluesky') expect(copies[0]?.text).toContain(`Body of ${key}, version 2, with <strong>bold</strong> text.`);
    }
  });

  it('schedule: the delivery is scheduled and the copy is held by the platform (WordPress `future`, Ghost `scheduled`)', async () => {
    const key = `${run}-later`;
    const postId = await createPost(key, 1);
    const at = new Date(Date.now() + 10 * 60_000);
    await publish(
      postId,
      each().map((e) => e.ids.good),
      at,
    );
    // a platform with a scheduler gets its copy now (remote id recorded); without one the queue waits
    const platformOf = new Map(each().map((e) => [e.ids.good, e.p]));
    const all = await deliveriesUntil(postId, (d) => d.status === 'scheduled' && (platformOf.get(d.endpointId)?.scheduledStatus ? d.remoteId !== null : true));
    for (const { p, ids } of each()) {
      const d = all.find((x) => x.endpointId === ids.good) as Delivery;
      const copies = await p.copies(key);
      if (p.scheduledStatus) {
        expect({ platform: p.name, copies: copies.map((x) => ({ id: x.id, status: x.status })) }).toEqual({
          platform: p.name,
          copies: [{ id: d.remoteId, status: p.scheduledStatus }],
        });
      } else {
        expect({ platform: p.name, remoteId: d.remoteId, copies }).toEqual({ platform: p.name, remoteId: null, copies: [] });
      }
    }
  });

  it('bad credentials: the delivery fails at once (permanent, one attempt) saying why; the good endpoints of the same post are published', async () => {
    const key = `${run}-bad`;
    const postId = await createPost(key, 1);
    await publish(
      postId,
      each().flatMap((e) => [e.ids.good, e.ids.bad]),
    );
    const all = await deliveriesUntil(postId, settled);
    // one comparison over every platform, so that a failure shows them all
    const seen = [];
    const wanted = [];
    for (const { p, ids } of each()) {
      const bad = all.find((x) => x.endpointId === ids.bad) as Delivery;
      const good = all.find((x) => x.endpointId === ids.good) as Delivery;
      seen.push({
        platform: p.name,
        bad: { status: bad.status, attempts: bad.attempts, remoteId: bad.remoteId, lastError: bad.lastError },
        good: { status: good.status, copies: (await p.copies(key)).map((x) => x.id) },
      });
      wanted.push({
        platform: p.name,
        // permanent: failed on the first attempt, never "gave up after N attempts"
        bad: { status: 'failed', attempts: 1, remoteId: null, lastError: expect.stringMatching(p.badCredentials) },
        good: { status: 'published', copies: [good.remoteId] },
      });
    }
    expect(seen).toEqual(wanted);
  });

  it(
    'a worker killed with SIGKILL mid-publish: a new worker finishes the batch, every delivery published, exactly one copy per post on each platform',
    async () => {
      const good = each().map((e) => e.ids.good);
      const keys = [1, 2, 3, 4, 5].map((n) => `${run}-kill${n}`);
      const postIds: string[] = [];
      for (const key of keys) postIds.push(await createPost(key, 1));
      const [victim] = c.workers.filter((w) => w.exitCode === null && w.signalCode === null);
      expect(victim).toBeDefined();
      const started = Date.now();
      for (const postId of postIds) await publish(postId, good);
      // straight from the database: the API's round trip is slower than a delivery to a platform on loopback
      const statuses = async () =>
        (await c.db.query<{ status: string }>(`SELECT status FROM deliveries WHERE post_id = ANY($1::uuid[])`, [postIds])).rows.map((r) => r.status);
      while (!(await statuses()).includes('publishing')) {
        if (Date.now() - started > 30_000) throw new Error(`no delivery went to publishing: ${JSON.stringify(await statuses())}`);
        await sleep(10);
      }
      victim?.kill('SIGKILL');
      await new Promise<void>((resolve) => (victim?.exitCode !== null || victim?.signalCode !== null ? resolve() : victim?.once('exit', () => resolve())));
      const atKill = await statuses();
      process.stdout.write(`killed the worker with the batch at ${JSON.stringify(countBy(atKill))}\n`);
      // the kill has to land before the batch is done, or this test proves nothing
      expect(atKill.filter((s) => s !== 'published').length).toBeGreaterThan(0);

      await c.startWorker();
      // a delivery the dead worker held stays claimed until its lease (2 minutes) runs out; the sweep (every
      // 30 s) then checks the platform for the copy by marker and queues it again
      for (const postId of postIds) await deliveriesUntil(postId, settled, 5 * 60_000);
      process.stdout.write(`the batch was published ${Math.round((Date.now() - started) / 1000)} s after it was requested\n`);
      for (const [i, postId] of postIds.entries()) {
        const all = await api<Delivery[]>('GET', `/api/v1/posts/${postId}/deliveries`, undefined, 200);
        for (const { p, ids } of each()) {
          const d = all.find((x) => x.endpointId === ids.good) as Delivery;
          expect({ platform: p.name, post: i, status: d.status, lastError: d.lastError }).toEqual({
            platform: p.name,
            post: i,
            status: 'published',
            lastError: null,
          });
          const copies = await p.copies(keys[i] as string);
          expect({ platform: p.name, post: i, copies: copies.map((x) => x.id) }).toEqual({ platform: p.name, post: i, copies: [d.remoteId] });
        }
      }
    },
    8 * 60_000,
  );
});

function countBy(values: string[]): Record<string, number> {
  return values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});
}
