import type { CreatePostRequest, DeliveryView, PostStatus, UpdatePostRequest } from '@margin/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { applyPublishResponse, refreshPublishing } from '../api/deliveriesCache';
import {
  createPost,
  deletePost,
  deliveriesQueryKey,
  fetchDeliveries,
  fetchPost,
  fetchPosts,
  postListKey,
  postListQueryKey,
  postQueryKey,
  publishPost,
  retryDelivery,
  unscheduleDelivery,
  updatePost,
  type PublishBody,
} from '../api/postsApi';

export function usePostList(status: PostStatus | undefined) {
  return useQuery({
    queryKey: postListKey(status),
    queryFn: ({ signal }) => fetchPosts(status, signal),
    // Changing the filter keeps the current rows on screen until the next ones arrive.
    placeholderData: keepPreviousData,
  });
}

export function usePost(id: string) {
  return useQuery({ queryKey: postQueryKey(id), queryFn: ({ signal }) => fetchPost(id, signal) });
}

export function useCreatePost() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: CreatePostRequest) => createPost(request),
    onSuccess: (post) => {
      queryClient.setQueryData(postQueryKey(post.id), post);
      return queryClient.invalidateQueries({ queryKey: postListQueryKey });
    },
  });
}

export function useUpdatePost() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, request }: { id: string; request: UpdatePostRequest }) => updatePost(id, request),
    onSuccess: (post) => {
      queryClient.setQueryData(postQueryKey(post.id), post);
      return queryClient.invalidateQueries({ queryKey: postListQueryKey });
    },
  });
}

export function useDeletePost() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => deletePost(id),
    onSuccess: (_result, id) => {
      queryClient.removeQueries({ queryKey: postQueryKey(id) });
      queryClient.removeQueries({ queryKey: deliveriesQueryKey(id) });
      return queryClient.invalidateQueries({ queryKey: postListQueryKey });
    },
  });
}

export function useDeliveries(postId: string) {
  return useQuery({ queryKey: deliveriesQueryKey(postId), queryFn: ({ signal }) => fetchDeliveries(postId, signal) });
}

export function usePublishPost(postId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: PublishBody) => publishPost(postId, request),
    onSuccess: (response) => {
      applyPublishResponse(queryClient, postId, response);
      return refreshPublishing(queryClient, postId);
    },
  });
}

/** A change to one delivery (retry, unschedule): the answer is the delivery as it now is, shown at once, then everything is read again. */
function useDeliveryChange(postId: string, change: (deliveryId: string) => Promise<DeliveryView>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: change,
    onSuccess: (delivery) => {
      queryClient.setQueryData<DeliveryView[]>(deliveriesQueryKey(postId), (deliveries) =>
        deliveries?.map((current) => (current.id === delivery.id ? { ...current, ...delivery } : current)),
      );
      return refreshPublishing(queryClient, postId);
    },
  });
}

export const useRetryDelivery = (postId: string) => useDeliveryChange(postId, retryDelivery);
export const useUnscheduleDelivery = (postId: string) => useDeliveryChange(postId, unscheduleDelivery);
