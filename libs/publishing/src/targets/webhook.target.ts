// Webhook endpoints: the post as signed JSON, POSTed to the receiver's URL.
import type { WebhookPayload } from '@margin/contracts';
import { renderMarkdown } from '../format/markdown';
import { parseRetryAfter } from '../deliveries/backoff';
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
import { DELIVERY_HEADER, SIGNATURE_HEADER, signatureHeader, signingSecrets } from './webhook-signature';

const TIMEOUT_MS = 15_000;

/** 4xx other than 408 (timeout) and 429 (rate limit) mean the receiver refuses this request as it is: retrying cannot help. */
export function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export class WebhookTarget implements PublishTarget {
  readonly type = 'webhook' as const;

  constructor(
    private readonly fetchFn: typeof fetch,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async test(endpoint: TargetEndpoint): Promise<TestResult> {
    const body = JSON.stringify({ event: 'ping', deliveryId: `test-${endpoint.id}` });
    try {
      const res = await this.send(endpoint, body, `test-${endpoint.id}`, { event: 'ping', revision: 0 });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return { ok: true, detail: `${endpoint.url} answered ${res.status} to a signed ping` };
      return { ok: false, detail: `${endpoint.url} answered ${res.status} to a signed ping (X-Margin-Event: ping)` };
    } catch (err) {
      return { ok: false, detail: `${endpoint.url} could not be reached: ${describe(err)}` };
    }
  }

  /** A webhook cannot be asked what it received: the receiver de-duplicates on X-Margin-Delivery (+ X-Margin-Revision). */
  find(): Promise<RemoteCopy | null> {
    return Promise.resolve(null);
  }

  async publish(endpoint: TargetEndpoint, post: TargetPost, request: PublishRequest): Promise<RemoteCopy> {
    const payload: WebhookPayload = {
      event: request.event,
      deliveryId: request.marker,
      post: {
        id: post.id,
        title: post.title,
        content: post.content,
        excerpt: post.excerpt,
        slug: post.slug,
        tags: [...post.tags],
        featuredImageUrl: post.featuredImageUrl,
        canonicalUrl: post.canonicalUrl,
        publishedAt: post.publishedAt ? post.publishedAt.toISOString() : null,
        html: renderMarkdown(post.content),
        url: post.blogUrl ?? post.canonicalUrl,
      },
    };
    let res: Response;
    try {
      res = await this.send(endpoint, JSON.stringify(payload), request.marker, { event: request.event, revision: request.revision ?? 1 });
    } catch (err) {
      // timeouts, refused or reset connections, DNS: the receiver may be back later
      throw new PublishError(`webhook ${endpoint.url} unreachable: ${describe(err)}`, 'transient', { cause: err });
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      const detail = `webhook ${endpoint.url} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.now());
      throw new PublishError(detail, isPermanentStatus(res.status) ? 'permanent' : 'transient', { status: res.status, retryAfterMs });
    }
    return { remoteId: request.marker, remoteUrl: null, state: 'published' };
  }

  /** Nothing to read back from a receiver: it holds what it was sent. */
  read(): Promise<RemoteState> {
    return Promise.resolve({ exists: true, state: 'published' });
  }

  private send(endpoint: TargetEndpoint, body: string, deliveryId: string, meta: { event: string; revision: number }): Promise<Response> {
    if (!endpoint.url) throw new PublishError('webhook endpoint has no url', 'permanent');
    const secrets = signingSecrets(endpoint.credentials, this.now());
    if (!secrets.length) throw new PublishError('webhook endpoint has no secret (credentials.secret)', 'permanent');
    const timestamp = Math.floor(this.now().getTime() / 1000);
    return this.fetchFn(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Margin-Webhook/1',
        [SIGNATURE_HEADER]: signatureHeader(secrets, timestamp, body),
        [DELIVERY_HEADER]: deliveryId,
        'X-Margin-Event': meta.event,
        'X-Margin-Revision': String(meta.revision),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  }
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
