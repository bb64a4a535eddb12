import type { CreatePostRequest, DeliveryView, Page, PostView, PublishRequestBody, PublishResponse, UpdatePostRequest } from '@margin/contracts';
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

/**
 * GET /posts answers the tenant's posts; a server that pages them answers `{data, nextCursor}` like the other
 * lists. Both shapes become a page, so the list can offer "load more" exactly when the server has more.
 */
export async function fetchPosts(cursor: string | undefined, signal?: AbortSignal): Promise<Page<PostView>> {
  const body = await apiRequest<PostView[] | Page<PostView>>(cursor ? `/posts?cursor=${encodeURIComponent(cursor)}` : '/posts', { signal });
  return Array.isArray(body) ? { data: body, nextCursor: null } : { data: body.data, nextCursor: body.nextCursor ?? null };
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

export function publishPost(id: string, request: PublishRequestBody): Promise<PublishResponse> {
  return apiRequest<PublishResponse>(`${postPath(id)}/publish`, { method: 'POST', body: request });
}

export function fetchDeliveries(postId: string, signal?: AbortSignal): Promise<DeliveryView[]> {
  return apiRequest<DeliveryView[]>(`${postPath(postId)}/deliveries`, { signal });
}

/** The contract names no body for the answer: whatever comes back, the table reads the deliveries again. */
export function retryDelivery(id: string): Promise<unknown> {
  return apiRequest<unknown>(`/deliveries/${encodeURIComponent(id)}/retry`, { method: 'POST' });
}
