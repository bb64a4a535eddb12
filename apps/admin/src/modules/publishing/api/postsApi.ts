import type { CreatePostRequest, DeliveryView, PostStatus, PostView, PublishRequestBody, PublishResponse, UpdatePostRequest } from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export const postsQueryKey = ['posts'] as const;
export const postListQueryKey = [...postsQueryKey, 'list'] as const;

export function postQueryKey(id: string) {
  return [...postsQueryKey, 'detail', id] as const;
}

export function deliveriesQueryKey(postId: string) {
  return [...postsQueryKey, 'deliveries', postId] as const;
}

const postPath = (id: string) => `/posts/${encodeURIComponent(id)}`;

/** The API's largest page of posts: it answers the newest, without a cursor to page further. */
export const POSTS_LIMIT = 200;

export function postListKey(status: PostStatus | undefined) {
  return [...postListQueryKey, status ?? 'all'] as const;
}

/** The tenant's posts, newest first, filtered by status on the server. */
export function fetchPosts(status: PostStatus | undefined, signal?: AbortSignal): Promise<PostView[]> {
  const search = new URLSearchParams({ limit: String(POSTS_LIMIT) });
  if (status) search.set('status', status);
  return apiRequest<PostView[]>(`/posts?${search.toString()}`, { signal });
}

export function fetchPost(id: string, signal?: AbortSignal): Promise<PostView> {
  return apiRequest<PostView>(postPath(id), { signal });
}

export function createPost(request: CreatePostRequest): Promise<PostView> {
  return apiRequest<PostView>('/posts', { method: 'POST', body: request });
}

export function updatePost(id: string, request: UpdatePostRequest): Promise<PostView> {
  return apiRequest<PostView>(postPath(id), { method: 'PATCH', body: request });
}

export function deletePost(id: string): Promise<void> {
  return apiRequest<void>(postPath(id), { method: 'DELETE' });
}

/**
 * The body of POST /posts/:id/publish. `force` re-publishes over remote copies that were edited or deleted on
 * their platform (the API answers 409 without it); newer contracts declare it, the intersection keeps both in step.
 */
export type PublishBody = PublishRequestBody & { force?: boolean };

export function publishPost(id: string, request: PublishBody): Promise<PublishResponse> {
  return apiRequest<PublishResponse>(`${postPath(id)}/publish`, { method: 'POST', body: request });
}

export function fetchDeliveries(postId: string, signal?: AbortSignal): Promise<DeliveryView[]> {
  return apiRequest<DeliveryView[]>(`${postPath(postId)}/deliveries`, { signal });
}

export function unscheduleDelivery(id: string): Promise<DeliveryView> {
  return apiRequest<DeliveryView>(`/deliveries/${encodeURIComponent(id)}/unschedule`, { method: 'POST' });
}

export function retryDelivery(id: string): Promise<DeliveryView> {
  return apiRequest<DeliveryView>(`/deliveries/${encodeURIComponent(id)}/retry`, { method: 'POST' });
}
