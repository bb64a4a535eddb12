import type { LoginRequest, LoginResponse, MeResponse, SignupResponse } from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export const meQueryKey = ['auth', 'me'] as const;

export function login(credentials: LoginRequest): Promise<LoginResponse> {
  return apiRequest<LoginResponse>('/auth/login', { method: 'POST', body: credentials, anonymous: true });
}

export function fetchMe(signal?: AbortSignal): Promise<MeResponse> {
  return apiRequest<MeResponse>('/auth/me', { signal });
}

/** Finishes a sign-up from the token of its confirmation mail. */
export function confirmSignup(token: string): Promise<SignupResponse> {
  return apiRequest<SignupResponse>('/auth/signup/confirm', { method: 'POST', body: { token }, anonymous: true });
}
