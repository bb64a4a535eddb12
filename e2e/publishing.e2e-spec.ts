// Publishing end to end: the built API, a worker and the LLM emulator as separate processes. A blog-post job
// carrying `publish` to the own blog and a webhook ends with each post on the blog (page and RSS feed) and
// delivered, signed, to the webhook receiver once.
import { verifySignature } from '@margin/publishing';
import { XMLParser } from 'fast-xml-parser';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { startCluster, type Cluster } from './support/cluster';

jest.setTimeout(240_000);

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

describe('publishing', () => {
  let c: Cluster;
  let hook: Server;
  let hookUrl: string;
  const received: Received[] = [];
  const auth = () => ({ authorization: `Bearer ${c.owner.token}` });

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => (body += b.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/margin`;
    const fast = { latencyMs: 50, tokensPerSecond: 5000, parallel: 10, rpm: 0, tpm: 0 };
    const models = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'].map((name) => ({
      name,
      ...fast,
    }));
    // the receiver is on loopback, which the outbound policy refuses unless told
    c = await startCluster({ workers: 1, emulator: { defaults: fast, models }, env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } });
  });
  afterAll(async () => {
    await c?.stop();
    hook?.close();
  });

  it('a blog-post job with publish ends with each post on the own blog and its feed, and delivered to the webhook once, signed', async () => {
    const blog = await c.api<{ id: string; publicUrl: string; feedUrl: string }>('POST', '/api/v1/endpoints', { type: 'blog', name: 'Worship notes' }, auth());
    expect(blog.status).toBe(201);
    const webhook = await c.api<{ id: string }>(
      'POST',
      '/api/v1/endpoints',
      { type: 'webhook', name: 'Receiver', url: hookUrl, credentials: { secret: 'e2e-webhook-secret' } },
      auth(),
    );
    expect(webhook.status).toBe(201);

    // a publish option naming an endpoint the tenant does not have is refused before anything is stored
    const refused = await c.api<{ message: string }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'blog-post', items: [{ topic: 'x' }], publish: { endpointIds: ['00000000-0000-4000-8000-000000000000'] } },
      auth(),
    );
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body.message)).toContain('publish.endpointIds');

    const submit = await c.api<{ id: string }>(
      'POST',
      '/api/v1/jobs',
      {
        profile: 'blog-post',
        items: [{ topic: 'Hymns in modern worship', audience: 'worship leaders', tone: 'warm', keywords: ['hymns'] }],
        publish: { endpointIds: [blog.body.id, webhook.body.id] },
      },
      auth(),
    );
    expect(submit.status).toBe(202);

    const deadline = Date.now() + 180_000;
    let post: { id: string; slug: string; title: string; sourceJobId: string } | undefined;
    let deliveries: Array<{ id: string; endpointId: string; status: string }> = [];
    for (;;) {
      const posts = await c.api<Array<{ id: string; slug: string; title: string; sourceJobId: string }>>('GET', '/api/v1/posts', undefined, auth());
      post = posts.body.find((p) => p.sourceJobId === submit.body.id);
      if (post) {
        deliveries = (await c.api<typeof deliveries>('GET', `/api/v1/posts/${post.id}/deliveries`, undefined, auth())).body;
        if (deliveries.length === 2 && deliveries.every((d) => d.status === 'published')) break;
      }
      if (Date.now() > deadline) throw new Error(`not published in time: ${JSON.stringify({ post, deliveries })}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(post).toBeDefined();
    const { id: postId, slug, title } = post as NonNullable<typeof post>;

    const page = await fetch(`${blog.body.publicUrl}/${slug}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toContain('max-age');
    const html = await page.text();
    expect(html).toContain('<meta property="og:title"');
    expect(html).toContain('<link rel="canonical"');

    const feed = await fetch(blog.body.feedUrl);
    expect(feed.status).toBe(200);
    const rss = new XMLParser().parse(await feed.text()) as { rss: { channel: { item: unknown } } };
    const items = ([] as Array<{ title: string; link: string }>).concat(rss.rss.channel.item as never);
    expect(items.map((i) => i.link)).toContain(`${blog.body.publicUrl}/${slug}`);
    expect(items.map((i) => i.title)).toContain(title);

    const toHook = deliveries.find((d) => d.endpointId === webhook.body.id) as { id: string };
    const forPost = received.filter((r) => r.headers['x-margin-delivery'] === toHook.id);
    expect(forPost).toHaveLength(1);
    const [only] = forPost as [Received];
    expect(verifySignature('e2e-webhook-secret', String(only.headers['x-margin-signature']), only.body, new Date())).toBe(true);
    expect(JSON.parse(only.body)).toMatchObject({
      event: 'post.published',
      deliveryId: toHook.id,
      post: { id: postId, slug, url: `${blog.body.publicUrl}/${slug}` },
    });
  });
});
