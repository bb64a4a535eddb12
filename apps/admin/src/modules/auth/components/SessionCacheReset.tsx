import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useAccessToken } from '../../../shared/api/useAccessToken';

/**
 * Drops every cached query once the session ends (sign-out, a 401, another tab signing out), so the
 * next person at this browser never sees the previous tenant's data.
 */
export function SessionCacheReset() {
  const token = useAccessToken();
  const queryClient = useQueryClient();
  useEffect(() => {
    if (token === null) queryClient.clear();
  }, [token, queryClient]);
  return null;
}
