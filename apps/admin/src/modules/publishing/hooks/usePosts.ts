import type { CreatePostRequest, PublishRequestBody, UpdatePostRequest } from '@margin/contracts';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { applyPublishResponse, refreshPublishing } from '../api/deliveriesCache';
import {
  createPost,
  deletePost,
  deliveriesQueryKey,
  fetchDeliveries,
  fetchPost,
  fetchPosts,
  postListQueryKey,
  postQueryKey,
  publishPost,
  retryDelivery,
  updatePost,
} from '../api/postsApi';

export function usePostList() {
  return useInfiniteQuery({
    queryKey: postListQueryKey,
    queryFn: ({ signal, pageParam }) => fetchPosts(pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.nextCursor ?? undefined,
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
    mutationFn: (request: PublishRequestBody) => publishPost(postId, request),
    onSuccess: (response) => {
      applyPublishResponse(queryClient, postId, response);
      return refreshPublishing(queryClient, postId);
    },
  });
}

export function useRetryDelivery(postId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) => retryDelivery(deliveryId),
    onSuccess: () => refreshPublishing(queryClient, postId),
  });
}
