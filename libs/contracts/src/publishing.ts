// Publishing: endpoints (where posts go), posts, deliveries (post × endpoint). REST views, requests, the
// progress event and the queue payload, shared by api, worker and the SPA.

export const ENDPOINT_TYPES = ['blog', 'webhook', 'wordpress', 'ghost', 'bluesky', 'strapi'] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];

export interface EndpointView {
  id: string;
  type: EndpointType;
  name: string;
  /** Site / service / receiver URL; null for `blog`. */
  url: string | null;
  config: Record<string, unknown>;
  enabled: boolean;
  /** `blog` only: the public pages and the RSS feed. */
  publicUrl?: string;
  feedUrl?: string;
  /** Names of the credential fields stored (values are never returned). */
  credentialFields: string[];
  createdAt: string;
  updatedAt: string;
}

export interface CreateEndpointRequest {
  type: EndpointType;
  name: string;
  url?: string;
  /** wordpress {username, applicationPassword}; ghost {adminApiKey}; bluesky {handle, appPassword}; webhook {secret}; strapi {apiToken}. */
  credentials?: Record<string, string>;
  config?: Record<string, unknown>;
  enabled?: boolean;
}

export type UpdateEndpointRequest = Partial<Omit<CreateEndpointRequest, 'type'>>;

export interface EndpointTestResult {
  ok: boolean;
  detail: string;
}

export const POST_STATUSES = ['draft', 'scheduled', 'published', 'archived'] as const;
export type PostStatus = (typeof POST_STATUSES)[number];

export interface PostView {
  id: string;
  title: string;
  /** Markdown. */
  content: string;
  excerpt: string | null;
  slug: string;
  tags: string[];
  featuredImageUrl: string | null;
  canonicalUrl: string | null;
  status: PostStatus;
  /** The blog-post item it was made from, if any. */
  sourceItemId: string | null;
  sourceJobId: string | null;
  /** Set when a published remote copy was edited or deleted on its platform (sync back); never overwritten silently. */
  conflict: boolean;
  publishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CreatePostRequest {
  title?: string;
  content?: string;
  excerpt?: string;
  slug?: string;
  tags?: string[];
  featuredImageUrl?: string;
  canonicalUrl?: string;
  /** Copy title, slug, excerpt and content from a finished `blog-post` item (and keep the link). */
  fromItemId?: string;
}

export interface UpdatePostRequest {
  title?: string;
  content?: string;
  excerpt?: string | null;
  slug?: string;
  tags?: string[];
  featuredImageUrl?: string | null;
  canonicalUrl?: string | null;
  status?: PostStatus;
}

export interface PublishRequestBody {
  endpointIds: string[];
  /** ISO time in the future: scheduled (the platform's own scheduling where it has one). */
  scheduledAt?: string;
  /** Re-publish over a remote copy that was edited or deleted on its platform (otherwise 409). */
  force?: boolean;
}

/** `cancelled`: a scheduled delivery taken back (unschedule) before it went out; publishing again revives it. */
export const DELIVERY_STATUSES = ['pending', 'scheduled', 'publishing', 'published', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryView {
  id: string;
  postId: string;
  endpointId: string;
  status: DeliveryStatus;
  remoteId: string | null;
  remoteUrl: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  scheduledAt: string | null;
  publishedAt: string | null;
  /** The remote copy changed on its platform since Margin last wrote it (edited or deleted). */
  conflict: 'edited' | 'deleted' | null;
  /** Numbers read back from the platform (sync back), where it offers them. */
  engagement: DeliveryEngagement | null;
  updatedAt: string;
}

export interface DeliveryEngagement {
  likes?: number;
  reposts?: number;
  replies?: number;
  comments?: number;
}

export interface PublishResponse {
  deliveries: Array<Pick<DeliveryView, 'id' | 'endpointId' | 'status'>>;
}

/** Progress socket event, to the tenant's room. */
export interface DeliveryUpdatedEvent {
  postId: string;
  deliveryId: string;
  endpointId: string;
  status: DeliveryStatus;
}

/** Webhook body. */
export interface WebhookPayload {
  event: 'post.published' | 'post.updated';
  deliveryId: string;
  post: Pick<PostView, 'id' | 'title' | 'content' | 'excerpt' | 'slug' | 'tags' | 'featuredImageUrl' | 'canonicalUrl' | 'publishedAt'> & {
    html: string;
    url: string | null;
  };
}

/** A blog-post job's `publish` option: each finished item becomes a post published there. */
export interface JobPublishOption {
  endpointIds: string[];
  scheduledAt?: string;
}
