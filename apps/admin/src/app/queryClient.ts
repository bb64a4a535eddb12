import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../shared/api/client';

const MAX_RETRIES = 2;

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A 4xx will answer the same the second time; only network trouble and 5xx are worth retrying.
        retry: (failureCount, error) => failureCount < MAX_RETRIES && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
        refetchOnWindowFocus: true,
      },
      mutations: {
        retry: false,
      },
    },
  });
}
