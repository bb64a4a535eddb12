import { PublishError, type TargetEndpoint, type TargetPost } from './publish-target';
import { WebhookTarget, isPermanentStatus } from './webhook.target';
import { verifySignature } from './webhook-signature';

const NOW = new Date('2026-12-02T10:00:00Z');
const endpoint: TargetEndpoint = { id: 'ep', tenantId: 't', type: 'webhook', url: 'https://hooks.example.com/x', credentials: { secret: 's3' }, config: {} };
const post: TargetPost = {
  id: 'p',
  title: 'T',
  content: '**b**',
  excerpt: null,
  slug: 't',
  tags: ['a'],
  featuredImageUrl: null,
  canonicalUrl: null,
  blogUrl: 'https://margin.example/blog/x/t',
  publishedAt: null,
};
const request = { marker: 'delivery-1', remoteId: null, scheduledAt: null, event: 'post.published' as const, revision: 2 };

function target(answer: () => Response | Promise<Response>) {
  const fetchFn = jest.fn(async (_url: string | URL | Request, _init?: RequestInit) => answer());
  return { t: new WebhookTarget(fetchFn as unknown as typeof fetch, () => NOW), fetchFn };
}

describe('WebhookTarget', () => {
  it('POSTs the payload signed, with the delivery id and revision', async () => {
    const { t, fetchFn } = target(() => new Response('ok'));
    expect(await t.publish(endpoint, post, request)).toEqual({ remoteId: 'delivery-1', remoteUrl: null, state: 'published' });
    const init = fetchFn.mock.calls[0]?.[1] as RequestInit & { headers: Record<string, string> };
    const body = String(init.body);
    expect(init.headers['X-Margin-Delivery']).toBe('delivery-1');
    expect(init.headers['X-Margin-Revision']).toBe('2');
    expect(verifySignature('s3', init.headers['X-Margin-Signature'] as string, body, NOW)).toBe(true);
    expect(JSON.parse(body)).toMatchObject({
      event: 'post.published',
      deliveryId: 'delivery-1',
      post: { html: '<p><strong>b</strong></p>\n', url: post.blogUrl },
    });
  });

  it('classifies answers: 5xx, 408 and 429 are transient (Retry-After kept), other 4xx permanent', async () => {
    expect([500, 502, 408, 429].map(isPermanentStatus)).toEqual([false, false, false, false]);
    expect([400, 401, 403, 404, 410, 422].map(isPermanentStatus)).toEqual([true, true, true, true, true, true]);
    const limited = await target(() => new Response('slow down', { status: 429, headers: { 'retry-after': '7' } }))
      .t.publish(endpoint, post, request)
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(PublishError);
    expect(limited).toMatchObject({ kind: 'transient', options: { status: 429, retryAfterMs: 7000 } });
    const refused = await target(() => new Response('bad', { status: 422 }))
      .t.publish(endpoint, post, request)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'permanent', message: expect.stringContaining('422') });
  });

  it('a connection failure is transient', async () => {
    const err = await target(() => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })))
      .t.publish(endpoint, post, request)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient', message: expect.stringContaining('ECONNREFUSED') });
  });
});
