import type { CreateUserRequest, UpdateUserRequest, UserView } from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export const usersQueryKey = ['users'] as const;

export function fetchUsers(signal?: AbortSignal): Promise<UserView[]> {
  return apiRequest<UserView[]>('/users', { signal });
}

export function createUser(request: CreateUserRequest): Promise<UserView> {
  return apiRequest<UserView>('/users', { method: 'POST', body: request });
}

export function updateUser(id: string, request: UpdateUserRequest): Promise<UserView> {
  return apiRequest<UserView>(`/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: request });
}

export function deleteUser(id: string): Promise<void> {
  return apiRequest<void>(`/users/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
