import type { DeliveryView, PostView } from '@margin/contracts';
import type { DeliveryEntity } from './deliveries/delivery.entity';
import type { PostEntity } from './posts/post.entity';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toPostView(p: PostEntity): PostView {
  return {
    id: p.id,
    title: p.title,
    content: p.content,
    excerpt: p.excerpt,
    slug: p.slug,
    tags: p.tags,
    featuredImageUrl: p.featuredImageUrl,
    canonicalUrl: p.canonicalUrl,
    status: p.status,
    sourceItemId: p.sourceItemId,
    sourceJobId: p.sourceJobId,
    conflict: p.conflict,
    publishedAt: iso(p.publishedAt),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export function toDeliveryView(d: DeliveryEntity): DeliveryView {
  return {
    id: d.id,
    postId: d.postId,
    endpointId: d.endpointId,
    status: d.status,
    remoteId: d.remoteId,
    remoteUrl: d.remoteUrl,
    attempts: d.attempts,
    lastError: d.lastError,
    nextAttemptAt: iso(d.nextAttemptAt),
    scheduledAt: iso(d.scheduledAt),
    publishedAt: iso(d.publishedAt),
    conflict: d.conflict,
    engagement: d.engagement,
    updatedAt: d.updatedAt.toISOString(),
  };
}
