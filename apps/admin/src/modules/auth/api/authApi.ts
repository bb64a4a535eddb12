import type { LoginRequest, LoginResponse, MeResponse } from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export const meQueryKey = ['auth', 'me'] as const;

export function login(credentials: LoginRequest): Promise<LoginResponse> {
  return apiRequest<LoginResponse>('/auth/login', { method: 'POST', body: credentials, anonymous: true });
}

export function fetchMe(signal?: AbortSignal): Promise<MeResponse> {
  return apiRequest<MeResponse>('/auth/me', { signal });
}
