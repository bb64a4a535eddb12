import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { useAccessToken } from '../../../shared/api/useAccessToken';

export interface LoginLocationState {
  from?: string;
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const token = useAccessToken();
  const location = useLocation();
  if (!token) {
    const state: LoginLocationState = { from: `${location.pathname}${location.search}${location.hash}` };
    return <Navigate to="/login" replace state={state} />;
  }
  return children;
}
