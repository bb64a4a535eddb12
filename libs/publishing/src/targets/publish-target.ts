// The one interface every publishing destination implements (own blog, webhook, WordPress, Ghost, Bluesky,
// Strapi). The delivery processor owns retries, leases, scheduling and the local record; a target only talks
// to its platform, idempotently: `find` looks a post up by the marker Margin stored on it, so a create that
// landed remotely before a worker died is found on retry instead of being made twice.
import type { EndpointType } from '@margin/contracts';

/** What a target is given about its endpoint: decrypted credentials, never logged. */
export interface TargetEndpoint {
  id: string;
  tenantId: string;
  type: EndpointType;
  /** Site / service URL (already checked by the SSRF guard when saved; checked again at connect time). */
  url: string | null;
  credentials: Readonly<Record<string, string>>;
  config: Readonly<Record<string, unknown>>;
}

/** The post as a target sees it; markdown is the source, each target formats it for its platform. */
export interface TargetPost {
  id: string;
  title: string;
  /** Markdown. */
  content: string;
  excerpt: string | null;
  slug: string;
  tags: readonly string[];
  featuredImageUrl: string | null;
  canonicalUrl: string | null;
  /** Public URL of the post on the tenant's own blog, when it has one (a link card for Bluesky). */
  blogUrl: string | null;
  /** When the post was first published anywhere (null until then). */
  publishedAt?: Date | null;
}

export interface PublishRequest {
  /**
   * Deterministic per (post, endpoint) and stable across retries: a target stores it on the remote copy
   * (WordPress/Ghost slug or meta, Bluesky record key, webhook delivery id) so `find` can see an earlier create.
   */
  marker: string;
  /** The remote copy made earlier, when there is one: update it instead of creating another. */
  remoteId: string | null;
  /** Future time: use the platform's own scheduling where it has one (WordPress `future`, Ghost `scheduled`). */
  scheduledAt: Date | null;
  /** webhook: `post.published` for the first delivery, `post.updated` after. */
  event: 'post.published' | 'post.updated';
  /** The delivery's revision (bumped by each publish request): with the marker, a receiver's de-duplication key. */
  revision?: number;
}

export interface RemoteCopy {
  remoteId: string;
  remoteUrl: string | null;
  /** `scheduled` when the platform holds it for `scheduledAt`. */
  state: 'published' | 'scheduled';
}

export interface RemoteState {
  exists: boolean;
  state?: 'published' | 'scheduled' | 'draft';
  remoteUrl?: string | null;
  /** When the remote copy was last modified (detects edits made on the platform). */
  modifiedAt?: Date | null;
  /** A fingerprint of the remote content as Margin last wrote it would compute it, when the platform returns it. */
  contentHash?: string | null;
  engagement?: { likes?: number; reposts?: number; replies?: number; comments?: number };
}

export interface TestResult {
  ok: boolean;
  /** Exactly what failed (or what was checked), e.g. "401 from /wp-json/wp/v2/users/me: wrong application password". */
  detail: string;
}

/** transient: retried with backoff (5xx, timeouts, connection errors, 429); permanent: auth/validation, not retried. */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly kind: 'transient' | 'permanent',
    readonly options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'PublishError';
  }
}

export interface PublishTarget {
  readonly type: EndpointType;
  /** Checks reachability and credentials; never throws for a platform answer, only says what failed. */
  test(endpoint: TargetEndpoint): Promise<TestResult>;
  /** The remote copy carrying `marker`, or null. */
  find(endpoint: TargetEndpoint, post: TargetPost, marker: string): Promise<RemoteCopy | null>;
  /** Creates (request.remoteId null) or updates the remote copy. Throws PublishError. */
  publish(endpoint: TargetEndpoint, post: TargetPost, request: PublishRequest): Promise<RemoteCopy>;
  /** Current remote state of a published copy (sync back). */
  read(endpoint: TargetEndpoint, remoteId: string): Promise<RemoteState>;
  /** Takes a scheduled copy back (unschedule): WordPress/Ghost to draft, others delete. */
  unschedule?(endpoint: TargetEndpoint, remoteId: string): Promise<void>;
}
