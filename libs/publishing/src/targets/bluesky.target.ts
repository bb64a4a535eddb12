// Bluesky (AT Protocol) through @atproto/api, signed in with the handle and an app password; every request
// goes through the caller's fetch. The record key is derived from the idempotency marker, so `putRecord`
// on `app.bsky.feed.post` with that key is idempotent: a retry after a crash writes the same record again
// instead of a second post, and `find` is one `getRecord`. Bluesky has no scheduling of its own: this target
// ignores `scheduledAt` and posts when called (the delivery processor delays the job until then).
import { createHash } from 'node:crypto';
import { AtpAgent } from '@atproto/api';
import { blueskyRecord } from '../format/bluesky';
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
import { transportError } from './wordpress.target';

const COLLECTION = 'app.bsky.feed.post';
/** How long a signed-in agent is reused before signing in again. */
const SESSION_REUSE_MS = 30 * 60_000;
const TID_ALPHABET = '234567abcdefghijklmnopqrstuvwxyz';
/** TIDs derived from markers fall in [2023-01-01, 2023-01-01 + ~9 years): a plausible time, any marker. */
const TID_EPOCH_US = 1_672_531_200_000_000n;
const TID_SPAN_US = 2n ** 48n;

/**
 * A valid TID (13 base32-sortable characters, top bit 0) that depends only on the marker. App view records
 * are sorted by `createdAt`, not by key, so the time encoded in the key does not matter.
 */
export function recordKeyFor(marker: string): string {
  if (!marker) throw new PublishError('idempotency marker is empty', 'permanent');
  const digest = createHash('sha256').update(`margin:${marker}`).digest();
  const micros = TID_EPOCH_US + (digest.readBigUInt64BE(0) % TID_SPAN_US);
  const clockId = BigInt(digest.readUInt16BE(8) & 0x3ff);
  let value = (micros << 10n) | clockId;
  let out = '';
  for (let i = 0; i < 13; i++) {
    out = TID_ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

interface Session {
  agent: AtpAgent;
  did: string;
  handle: string;
}

interface AppViewPost {
  uri: string;
  likeCount?: number;
  repostCount?: number;
  replyCount?: number;
}

export class BlueskyTarget implements PublishTarget {
  readonly type = 'bluesky' as const;
  /** The agent hands fetch a Request object at times; the caller's fetch is given (url, init) only. */
  private readonly fetch: typeof fetch;
  private readonly sessions = new Map<string, { session: Promise<Session>; until: number }>();

  constructor(private readonly http: typeof fetch) {
    this.fetch = async (input, init) => {
      if (input instanceof Request) {
        const hasBody = input.method !== 'GET' && input.method !== 'HEAD';
        const headers: Record<string, string> = {};
        input.headers.forEach((value, name) => (headers[name] = value));
        return this.http(input.url, {
          method: input.method,
          headers,
          body: hasBody ? new Uint8Array(await input.arrayBuffer()) : undefined,
          signal: init?.signal ?? input.signal,
        });
      }
      return this.http(String(input), { ...init, body: await plainBody(init?.body) });
    };
  }

  async test(endpoint: TargetEndpoint): Promise<TestResult> {
    try {
      const session = await this.login(endpoint);
      return { ok: true, detail: `signed in to ${serviceUrl(endpoint)} as ${session.handle} (${session.did}); can post` };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  async find(endpoint: TargetEndpoint, _post: TargetPost, marker: string): Promise<RemoteCopy | null> {
    const session = await this.login(endpoint);
    const rkey = recordKeyFor(marker);
    const existing = await this.getRecord(endpoint, session, session.did, rkey);
    return existing ? this.copy(endpoint, session, rkey) : null;
  }

  async publish(endpoint: TargetEndpoint, post: TargetPost, request: PublishRequest): Promise<RemoteCopy> {
    const session = await this.login(endpoint);
    const rkey = request.remoteId ? parseUri(request.remoteId).rkey : recordKeyFor(request.marker);
    // An edit keeps the post's original time, so it stays where it was in feeds.
    const existing = await this.getRecord(endpoint, session, session.did, rkey);
    const createdAt = typeof existing?.createdAt === 'string' ? new Date(existing.createdAt) : new Date();
    const record = blueskyRecord(post, Number.isNaN(createdAt.getTime()) ? new Date() : createdAt);
    await this.xrpc(endpoint, 'putRecord', () =>
      session.agent.com.atproto.repo.putRecord({ repo: session.did, collection: COLLECTION, rkey, record, validate: true }),
    );
    return this.copy(endpoint, session, rkey);
  }

  async read(endpoint: TargetEndpoint, remoteId: string): Promise<RemoteState> {
    const session = await this.login(endpoint);
    const { repo, rkey } = parseUri(remoteId);
    const record = await this.getRecord(endpoint, session, repo, rkey);
    if (!record) return { exists: false };
    const state: RemoteState = { exists: true, state: 'published', remoteUrl: this.webUrl(endpoint, session, rkey), modifiedAt: null };
    const engagement = await this.engagement(endpoint, remoteId);
    if (engagement) state.engagement = engagement;
    return state;
  }

  /** No native scheduling: taking a post back deletes it. */
  async unschedule(endpoint: TargetEndpoint, remoteId: string): Promise<void> {
    const session = await this.login(endpoint);
    const { rkey } = parseUri(remoteId);
    await this.xrpc(endpoint, 'deleteRecord', () => session.agent.com.atproto.repo.deleteRecord({ repo: session.did, collection: COLLECTION, rkey }));
  }

  /**
   * A session per endpoint and credentials, reused for a while: Bluesky limits createSession per account
   * (30 per 5 minutes), and a sync pass reads many posts. The agent refreshes its own tokens.
   */
  private login(endpoint: TargetEndpoint): Promise<Session> {
    const key = createHash('sha256')
      .update(JSON.stringify([endpoint.id, serviceUrl(endpoint), endpoint.credentials.handle ?? '', endpoint.credentials.appPassword ?? '']))
      .digest('hex');
    const cached = this.sessions.get(key);
    if (cached && cached.until > Date.now()) return cached.session;
    const session = this.createSession(endpoint);
    this.sessions.set(key, { session, until: Date.now() + SESSION_REUSE_MS });
    session.catch(() => this.sessions.delete(key));
    if (this.sessions.size > 1000) this.sessions.delete(this.sessions.keys().next().value as string);
    return session;
  }

  private async createSession(endpoint: TargetEndpoint): Promise<Session> {
    const service = serviceUrl(endpoint);
    const { handle, appPassword } = endpoint.credentials;
    if (!handle) throw new PublishError('credentials.handle is missing', 'permanent');
    if (!appPassword) throw new PublishError('credentials.appPassword is missing', 'permanent');
    const agent = new AtpAgent({ service, fetch: this.fetch });
    const res = await this.xrpc(endpoint, 'createSession', () => agent.login({ identifier: handle.replace(/^@/, ''), password: appPassword }), {
      401: 'wrong handle or app password',
    });
    return { agent, did: res.data.did, handle: res.data.handle };
  }

  private async getRecord(endpoint: TargetEndpoint, session: Session, repo: string, rkey: string): Promise<Record<string, unknown> | null> {
    try {
      const res = await session.agent.com.atproto.repo.getRecord({ repo, collection: COLLECTION, rkey });
      return res.data.value as Record<string, unknown>;
    } catch (err) {
      if (xrpcName(err) === 'RecordNotFound' || (xrpcStatus(err) === 400 && /not found|could not locate/i.test((err as Error).message))) return null;
      throw toPublishError(endpoint, 'getRecord', err);
    }
  }

  private async engagement(endpoint: TargetEndpoint, uri: string): Promise<RemoteState['engagement'] | null> {
    const appView = typeof endpoint.config.appViewUrl === 'string' ? endpoint.config.appViewUrl.replace(/\/+$/, '') : '';
    if (!appView) return null;
    let res: Response;
    try {
      res = await this.http(`${appView}/xrpc/app.bsky.feed.getPosts?${new URLSearchParams({ uris: uri }).toString()}`, {
        headers: { Accept: 'application/json' },
      });
    } catch (err) {
      throw transportError(appView, err);
    }
    if (!res.ok) return null;
    const body = (await res.json().catch(() => null)) as { posts?: AppViewPost[] } | null;
    const post = body?.posts?.find((p) => p.uri === uri);
    return post ? { likes: post.likeCount ?? 0, reposts: post.repostCount ?? 0, replies: post.replyCount ?? 0 } : null;
  }

  private copy(endpoint: TargetEndpoint, session: Session, rkey: string): RemoteCopy {
    return { remoteId: `at://${session.did}/${COLLECTION}/${rkey}`, remoteUrl: this.webUrl(endpoint, session, rkey), state: 'published' };
  }

  /** The post on the web app (bsky.app unless the endpoint names another, e.g. a self-hosted client). */
  private webUrl(endpoint: TargetEndpoint, session: Session, rkey: string): string {
    const base = typeof endpoint.config.webUrl === 'string' && endpoint.config.webUrl ? endpoint.config.webUrl.replace(/\/+$/, '') : 'https://bsky.app';
    return `${base}/profile/${session.handle}/post/${rkey}`;
  }

  private async xrpc<T>(endpoint: TargetEndpoint, method: string, call: () => Promise<T>, meaning: Record<number, string> = {}): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toPublishError(endpoint, method, err, meaning);
    }
  }
}

function toPublishError(endpoint: TargetEndpoint, method: string, err: unknown, meaning: Record<number, string> = {}): PublishError {
  if (err instanceof PublishError) return err;
  const status = xrpcStatus(err);
  if (status === undefined || status === 1) {
    // No answer: the fetch itself failed (the agent wraps it).
    return transportError(serviceUrl(endpoint), (err as { cause?: unknown }).cause ?? err);
  }
  const name = xrpcName(err);
  const message = (err as Error).message;
  const said = `${meaning[status] ? `${meaning[status]}: ` : ''}${message}${name && name !== message ? ` (${name})` : ''}`;
  const where = `${status} from ${method}`;
  if (status === 429 || status >= 500) {
    const reset = Number((err as { headers?: Record<string, string> }).headers?.['ratelimit-reset']);
    const retryAfterMs = Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : undefined;
    return new PublishError(`${where}: ${said}`, 'transient', { status, retryAfterMs, cause: err });
  }
  if (status === 401 || status === 403)
    return new PublishError(`${where}: ${meaning[status] ?? 'not allowed'}${name ? ` (${name})` : ''}`, 'permanent', { status, cause: err });
  return new PublishError(`${where}: ${said}`, 'permanent', { status, cause: err });
}

function xrpcStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' ? status : undefined;
}

function xrpcName(err: unknown): string | undefined {
  const name = (err as { error?: unknown })?.error;
  return typeof name === 'string' ? name : undefined;
}

function parseUri(remoteId: string): { repo: string; rkey: string } {
  const match = /^at:\/\/([^/]+)\/app\.bsky\.feed\.post\/([A-Za-z0-9._:~-]{1,512})$/.exec(remoteId);
  if (!match) throw new PublishError(`remote id ${remoteId} is not an at:// URI of a post`, 'permanent');
  return { repo: match[1] as string, rkey: match[2] as string };
}

function serviceUrl(endpoint: TargetEndpoint): string {
  return (endpoint.url || 'https://bsky.social').replace(/\/+$/, '');
}

/** A request body as a string or bytes (what the guarded fetch sends itself; anything else it would not check). */
async function plainBody(body: RequestInit['body']): Promise<string | Uint8Array<ArrayBuffer> | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  return new Uint8Array(await new Response(body).arrayBuffer());
}
