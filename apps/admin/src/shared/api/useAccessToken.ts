import { useSyncExternalStore } from 'react';
import { getAccessToken, subscribeToAccessToken } from './tokenStore';

export function useAccessToken(): string | null {
  return useSyncExternalStore(subscribeToAccessToken, getAccessToken, () => null);
}
