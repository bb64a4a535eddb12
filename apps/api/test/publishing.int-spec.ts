// Publishing through the real API, queue and worker: endpoints, posts, deliveries to a webhook receiver on
// loopback and to the own blog, credentials at rest, tenant scoping, and a worker killed mid-publish.
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PUBLISH_TARGETS, PublishingWorkerModule, verifySignature, type PublishTargets } from '@margin/publishing';
import { PROGRESS_NAMESPACE, type DeliveryUpdatedEvent } from '@margin/contracts';
import { makeSession, startTestApp, type TestApp } from '@margin/testing';
import { io } from 'socket.io-client';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';
import { testWorkerModule } from './support/test-worker';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver that answers the statuses it is given, in turn (then 200). */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, received, server };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('publishing', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  const env = { OUTBOUND_ALLOW_LOOPBACK: 'true', PUBLIC_URL: 'http://blog.test' };

  beforeAll(async () => {
    t = await startTestApp(createApp, { migrations: MIGRATIONS, env, listen: true });
    worker = await NestFactory.createApplicationContext(testWorkerModule(t.config, [PublishingWorkerModule]), { logger: false });
    await worker.init();
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
  });

  const deliveries = async (auth: Record<string, string>, postId: string) =>
    (await t.http.get(`/api/v1/posts/${postId}/deliveries`).set(auth).expect(200)).body as Array<Record<string, unknown>>;

  it('delivers a post to a webhook, signed, retrying after a 500 with the same delivery id; and onto the own blog and its feed', async () => {
    const { auth, token } = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const hook = await receiver([500]);
    // the SPA's view: every status change arrives on the progress socket, in the tenant's room
    const socket = io(`${t.url}${PROGRESS_NAMESPACE}`, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
    const events: DeliveryUpdatedEvent[] = [];
    socket.on('delivery.updated', (e: DeliveryUpdatedEvent) => events.push(e));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    expect(await socket.timeout(2000).emitWithAck('subscribe', {})).toMatchObject({ ok: true });
    try {
      const webhook = await t.http
        .post('/api/v1/endpoints')
        .set(auth)
        .send({ type: 'webhook', name: 'Receiver', url: hook.url, credentials: { secret: 'whsec-1' } })
        .expect(201);
      expect(webhook.body).toMatchObject({ type: 'webhook', url: hook.url, credentialFields: ['secret'] });
      expect(JSON.stringify(webhook.body)).not.toContain('whsec-1');
      const blog = await t.http.post('/api/v1/endpoints').set(auth).send({ type: 'blog', name: 'Acme <Notes>' }).expect(201);
      expect(blog.body.publicUrl).toMatch(/^http:\/\/blog\.test\/blog\/[a-z0-9-]+$/);
      expect(blog.body.feedUrl).toBe(`${blog.body.publicUrl}/feed.xml`);

      const post = await t.http
        .post('/api/v1/posts')
        .set(auth)
        .send({ title: 'Hello <world>', content: '# Hi\n\nSome **bold** text.<script>alert(1)</script>', tags: ['news'] })
        .expect(201);
      expect(post.body).toMatchObject({ slug: 'hello-world', status: 'draft' });

      const published = await t.http
        .post(`/api/v1/posts/${post.body.id}/publish`)
        .set(auth)
        .send({ endpointIds: [webhook.body.id, blog.body.id] })
        .expect(202);
      expect(published.body.deliveries).toHaveLength(2);

      const done = await until('both deliveries published', async () => {
        const list = await deliveries(auth, post.body.id);
        return list.every((d) => d.status === 'published') && list;
      });
      const toHook = done.find((d) => d.endpointId === webhook.body.id) as Record<string, unknown>;
      expect(toHook.attempts).toBe(2);
      await until('the last event', async () => events.filter((e) => e.deliveryId === toHook.id).at(-1)?.status === 'published');
      expect(events.filter((e) => e.deliveryId === toHook.id).map((e) => e.status)).toEqual(['pending', 'publishing', 'pending', 'publishing', 'published']);
      expect(events.every((e) => e.postId === post.body.id)).toBe(true);
      // first answer 500, then 200: two requests, one delivery id, both signed
      expect(hook.received).toHaveLength(2);
      for (const r of hook.received) {
        expect(r.headers['x-margin-delivery']).toBe(toHook.id);
        expect(verifySignature('whsec-1', String(r.headers['x-margin-signature']), r.body, new Date())).toBe(true);
        expect(verifySignature('wrong', String(r.headers['x-margin-signature']), r.body, new Date())).toBe(false);
      }
      const payload = JSON.parse(hook.received[1]?.body ?? '{}');
      expect(payload).toMatchObject({ event: 'post.published', deliveryId: toHook.id, post: { id: post.body.id, title: 'Hello <world>' } });
      expect(payload.post.html).not.toContain('<script>');

      const slug = String(blog.body.publicUrl).split('/').at(-1);
      const page = await t.http.get(`/blog/${slug}/hello-world`).expect(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.headers['cache-control']).toContain('max-age');
      expect(page.text).toContain('<title>Hello &lt;world&gt; · Acme &lt;Notes&gt;</title>');
      expect(page.text).toContain('property="og:title"');
      expect(page.text).not.toContain('<script>alert');
      const feed = await t.http.get(`/blog/${slug}/feed.xml`).expect(200);
      expect(feed.text).toContain('<title><![CDATA[Hello <world>]]></title>');
      await t.http.get(`/blog/${slug}/feed.atom`).expect(200);
      await t.http.get(`/blog/${slug}/feed.json`).expect(200);
      expect((await t.http.get(`/api/v1/posts/${post.body.id}`).set(auth).expect(200)).body.status).toBe('published');

      // re-publish: the webhook hears post.updated for the same delivery, the blog keeps one copy
      await t.http.patch(`/api/v1/posts/${post.body.id}`).set(auth).send({ title: 'Hello again' }).expect(200);
      await t.http
        .post(`/api/v1/posts/${post.body.id}/publish`)
        .set(auth)
        .send({ endpointIds: [webhook.body.id, blog.body.id] })
        .expect(202);
      await until('the update delivered', async () => hook.received.length === 3);
      expect(JSON.parse(hook.received[2]?.body ?? '{}')).toMatchObject({ event: 'post.updated', deliveryId: toHook.id, post: { title: 'Hello again' } });
      const after = await until('re-published', async () => {
        const list = await deliveries(auth, post.body.id);
        return list.every((d) => d.status === 'published') && list;
      });
      expect(after.map((d) => d.id).sort()).toEqual(done.map((d) => d.id).sort());
    } finally {
      socket.close();
      hook.server.close();
    }
  });

  it('fails a delivery the receiver refuses (4xx) at once, with its reason, and retries it on request', async () => {
    const { auth } = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const hook = await receiver([401]);
    try {
      const webhook = await t.http
        .post('/api/v1/endpoints')
        .set(auth)
        .send({ type: 'webhook', name: 'R', url: hook.url, credentials: { secret: 's' } })
        .expect(201);
      const post = await t.http.post('/api/v1/posts').set(auth).send({ title: 'Refused', content: 'x' }).expect(201);
      await t.http
        .post(`/api/v1/posts/${post.body.id}/publish`)
        .set(auth)
        .send({ endpointIds: [webhook.body.id] })
        .expect(202);
      const [failed] = await until('failed', async () => {
        const list = await deliveries(auth, post.body.id);
        return list[0]?.status === 'failed' && list;
      });
      expect(failed).toMatchObject({ attempts: 1, lastError: expect.stringContaining('401') });
      await t.http.post(`/api/v1/deliveries/${failed?.id}/retry`).set(auth).expect(202);
      await until('published after retry', async () => (await deliveries(auth, post.body.id))[0]?.status === 'published');
      expect(hook.received).toHaveLength(2);
    } finally {
      hook.server.close();
    }
  });

  it('unschedules a scheduled delivery: nothing goes out at its time, the post is a draft again, and publishing again revives it', async () => {
    const { auth } = await makeSession(t.dataSource, t.http, { role: 'member' });
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const hook = await receiver([]);
    try {
      const webhook = await t.http
        .post('/api/v1/endpoints')
        .set(admin.auth)
        .send({ type: 'webhook', name: 'Later', url: hook.url, credentials: { secret: 's' } })
        .expect(201);
      // the member's tenant is not the admin's: publish as the admin, unschedule as a member of the same tenant
      const post = await t.http.post('/api/v1/posts').set(admin.auth).send({ title: 'Not yet', content: 'x' }).expect(201);
      const at = new Date(Date.now() + 2500).toISOString();
      await t.http
        .post(`/api/v1/posts/${post.body.id}/publish`)
        .set(admin.auth)
        .send({ endpointIds: [webhook.body.id], scheduledAt: at })
        .expect(202);
      const [scheduled] = await deliveries(admin.auth, post.body.id);
      expect(scheduled).toMatchObject({ status: 'scheduled', scheduledAt: at });
      expect((await t.http.get(`/api/v1/posts/${post.body.id}`).set(admin.auth).expect(200)).body.status).toBe('scheduled');

      await t.http.post(`/api/v1/deliveries/${scheduled?.id}/unschedule`).set(auth).expect(404); // another tenant's delivery
      const cancelled = await t.http.post(`/api/v1/deliveries/${scheduled?.id}/unschedule`).set(admin.auth).expect(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', scheduledAt: null });
      expect((await t.http.get(`/api/v1/posts/${post.body.id}`).set(admin.auth).expect(200)).body.status).toBe('draft');
      await t.http.post(`/api/v1/deliveries/${scheduled?.id}/unschedule`).set(admin.auth).expect(409);

      await new Promise((r) => setTimeout(r, 3500));
      expect(hook.received).toHaveLength(0);
      expect((await deliveries(admin.auth, post.body.id))[0]?.status).toBe('cancelled');

      await t.http
        .post(`/api/v1/posts/${post.body.id}/publish`)
        .set(admin.auth)
        .send({ endpointIds: [webhook.body.id] })
        .expect(202);
      await until('published again', async () => (await deliveries(admin.auth, post.body.id))[0]?.status === 'published');
      expect(hook.received).toHaveLength(1);
    } finally {
      hook.server.close();
    }
  });

  it('keeps credentials encrypted at rest and refuses URLs the outbound policy forbids, naming the field', async () => {
    const { auth, tenant } = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http
      .post('/api/v1/endpoints')
      .set(auth)
      .send({ type: 'webhook', name: 'W', url: 'http://127.0.0.1:9/x', credentials: { secret: 'plain-secret-value' } })
      .expect(201);
    const [row] = (await t.dataSource.query(`SELECT credentials FROM publishing_endpoints WHERE tenant_id = $1`, [tenant.id])) as Array<{
      credentials: string;
    }>;
    expect(row?.credentials).toMatch(/^v1:/);
    expect(row?.credentials).not.toContain('plain-secret-value');
    const refused = await t.http
      .post('/api/v1/endpoints')
      .set(auth)
      .send({ type: 'webhook', name: 'W', url: 'http://169.254.169.254/latest', credentials: { secret: 's' } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('url');
    const missing = await t.http.post('/api/v1/endpoints').set(auth).send({ type: 'webhook', name: 'W', url: 'http://127.0.0.1:9/x' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body.message)).toContain('credentials.secret');
    // members may write posts but not manage endpoints
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant });
    await t.http.get('/api/v1/endpoints').set(member.auth).expect(403);
    await t.http.post('/api/v1/posts').set(member.auth).send({ title: 'By a member', content: 'x' }).expect(201);
  });

  it("scopes every route by tenant: B gets 404 for A's endpoint, post and delivery", async () => {
    const a = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const b = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const endpoint = await t.http
      .post('/api/v1/endpoints')
      .set(a.auth)
      .send({ type: 'webhook', name: 'A', url: 'http://127.0.0.1:9/a', credentials: { secret: 's' } })
      .expect(201);
    const post = await t.http.post('/api/v1/posts').set(a.auth).send({ title: 'A post', content: 'x' }).expect(201);
    const res = await t.http
      .post(`/api/v1/posts/${post.body.id}/publish`)
      .set(a.auth)
      .send({ endpointIds: [endpoint.body.id] })
      .expect(202);
    const deliveryId = res.body.deliveries[0].id as string;
    const e = `/api/v1/endpoints/${endpoint.body.id}`;
    const p = `/api/v1/posts/${post.body.id}`;
    await t.http.get(e).set(b.auth).expect(404);
    await t.http.patch(e).set(b.auth).send({ name: 'x' }).expect(404);
    await t.http.post(`${e}/test`).set(b.auth).expect(404);
    await t.http.delete(e).set(b.auth).expect(404);
    await t.http.get(p).set(b.auth).expect(404);
    await t.http.patch(p).set(b.auth).send({ title: 'x' }).expect(404);
    await t.http.get(`${p}/deliveries`).set(b.auth).expect(404);
    await t.http.delete(p).set(b.auth).expect(404);
    await t.http.post(`/api/v1/deliveries/${deliveryId}/retry`).set(b.auth).expect(404);
    // B's own post cannot be published to A's endpoint
    const bPost = await t.http.post('/api/v1/posts').set(b.auth).send({ title: 'B post', content: 'x' }).expect(201);
    const cross = await t.http
      .post(`/api/v1/posts/${bPost.body.id}/publish`)
      .set(b.auth)
      .send({ endpointIds: [endpoint.body.id] });
    expect(cross.status).toBe(400);
    expect(cross.body.message).toContain('endpointIds');
    expect((await t.http.get('/api/v1/endpoints').set(b.auth).expect(200)).body).toEqual([]);
    expect((await t.http.get('/api/v1/posts').set(b.auth).expect(200)).body.map((x: { id: string }) => x.id)).toEqual([bPost.body.id]);
  });

  it('a worker killed between the remote create and the local record leaves exactly one remote copy after recovery', async () => {
    const { auth } = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const targets = worker.get<PublishTargets>(PUBLISH_TARGETS) as Map<string, unknown>;
    const real = targets.get('webhook');
    // A fake platform that keeps copies by marker, and "dies" (throws before the worker can record) on its first create.
    // (deliveries of earlier tests still retrying against closed ports reach it too: counted per marker)
    const copies = new Map<string, { id: string; title: string }>();
    const creates = new Map<string, number>();
    let die = true;
    const fake = {
      type: 'webhook' as const,
      test: async () => ({ ok: true, detail: 'fake' }),
      find: async (_e: unknown, _p: unknown, marker: string) => {
        const c = copies.get(marker);
        return c ? { remoteId: c.id, remoteUrl: null, state: 'published' as const } : null;
      },
      publish: async (_e: unknown, p: { title: string }, r: { marker: string; remoteId: string | null }) => {
        if (!r.remoteId) {
          creates.set(r.marker, (creates.get(r.marker) ?? 0) + 1);
          copies.set(r.marker, { id: `remote-${r.marker}-${creates.get(r.marker)}`, title: p.title });
        } else {
          const c = [...copies.values()].find((x) => x.id === r.remoteId);
          if (c) c.title = p.title;
        }
        if (die && p.title === 'Once') {
          die = false;
          throw new Error('worker killed');
        }
        return { remoteId: copies.get(r.marker)?.id ?? 'x', remoteUrl: null, state: 'published' as const };
      },
      read: async () => ({ exists: true, state: 'published' as const }),
    };
    targets.set('webhook', fake);
    try {
      const endpoint = await t.http
        .post('/api/v1/endpoints')
        .set(auth)
        .send({ type: 'webhook', name: 'F', url: 'http://127.0.0.1:9/f', credentials: { secret: 's' } })
        .expect(201);
      const post = await t.http.post('/api/v1/posts').set(auth).send({ title: 'Once', content: 'x' }).expect(201);
      await t.http
        .post(`/api/v1/posts/${post.body.id}/publish`)
        .set(auth)
        .send({ endpointIds: [endpoint.body.id] })
        .expect(202);
      const [d] = await until(
        'published after the retry',
        async () => {
          const list = await deliveries(auth, post.body.id);
          return list[0]?.status === 'published' && list;
        },
        30_000,
      );
      const marker = String(d?.id);
      expect(creates.get(marker)).toBe(1);
      expect(copies.get(marker)).toEqual({ id: `remote-${marker}-1`, title: 'Once' });
      expect(d).toMatchObject({ remoteId: `remote-${marker}-1`, attempts: 2 });
    } finally {
      targets.set('webhook', real);
    }
  });

  it('a re-publish while the first publish is still in flight updates the one remote copy, never makes a second', async () => {
    const { auth } = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const targets = worker.get<PublishTargets>(PUBLISH_TARGETS) as Map<string, unknown>;
    const real = targets.get('webhook');
    const copies = new Map<string, { id: string; title: string }>();
    const creates = new Map<string, number>();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let inFlight = false;
    const fake = {
      type: 'webhook' as const,
      test: async () => ({ ok: true, detail: 'fake' }),
      find: async (_e: unknown, _p: unknown, marker: string) => {
        const c = copies.get(marker);
        return c ? { remoteId: c.id, remoteUrl: null, state: 'published' as const } : null;
      },
      publish: async (_e: unknown, p: { title: string }, r: { marker: string; remoteId: string | null }) => {
        if (p.title === 'First' || p.title === 'Second') {
          if (!r.remoteId) {
            creates.set(r.marker, (creates.get(r.marker) ?? 0) + 1);
            // the platform takes its time to answer the create
            inFlight = true;
            await held;
            copies.set(r.marker, { id: `copy-${r.marker}`, title: p.title });
          } else {
            const c = copies.get(r.marker);
            if (c) c.title = p.title;
          }
        }
        return { remoteId: r.remoteId ?? `copy-${r.marker}`, remoteUrl: null, state: 'published' as const };
      },
      read: async () => ({ exists: true, state: 'published' as const }),
    };
    targets.set('webhook', fake);
    try {
      const endpoint = await t.http
        .post('/api/v1/endpoints')
        .set(auth)
        .send({ type: 'webhook', name: 'S', url: 'http://127.0.0.1:9/s', credentials: { secret: 's' } })
        .expect(201);
      const post = await t.http.post('/api/v1/posts').set(auth).send({ title: 'First', content: 'x' }).expect(201);
      await t.http
        .post(`/api/v1/posts/${post.body.id}/publish`)
        .set(auth)
        .send({ endpointIds: [endpoint.body.id] })
        .expect(202);
      await until('the create in flight', async () => inFlight);
      await t.http.patch(`/api/v1/posts/${post.body.id}`).set(auth).send({ title: 'Second' }).expect(200);
      await t.http
        .post(`/api/v1/posts/${post.body.id}/publish`)
        .set(auth)
        .send({ endpointIds: [endpoint.body.id] })
        .expect(202);
      // the second request's queue entry finds the delivery still claimed and leaves it to the first
      await new Promise((r) => setTimeout(r, 500));
      release();
      const [d] = await until('published for the second request', async () => {
        const list = await deliveries(auth, post.body.id);
        return list[0]?.status === 'published' && copies.get(String(list[0]?.id))?.title === 'Second' && list;
      });
      const marker = String(d?.id);
      expect(creates.get(marker)).toBe(1);
      expect(d).toMatchObject({ remoteId: `copy-${marker}` });
    } finally {
      release();
      targets.set('webhook', real);
    }
  });
});
