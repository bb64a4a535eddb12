import type {
  ModelView,
  ProviderView,
  RouteDecisionView,
  RouteRequest,
  RoutingPolicyView,
  UpdateModelRequest,
  UpdatePolicyRequest,
  UpdateProviderRequest,
} from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export const routerQueryKey = ['router'] as const;
export const providersQueryKey = [...routerQueryKey, 'providers'] as const;
export const modelsQueryKey = [...routerQueryKey, 'models'] as const;
export const policyQueryKey = [...routerQueryKey, 'policy'] as const;

export function fetchProviders(signal?: AbortSignal): Promise<ProviderView[]> {
  return apiRequest<ProviderView[]>('/router/providers', { signal });
}

export function updateProvider(id: string, request: UpdateProviderRequest): Promise<ProviderView> {
  return apiRequest<ProviderView>(`/router/providers/${encodeURIComponent(id)}`, { method: 'PATCH', body: request });
}

export function fetchModels(signal?: AbortSignal): Promise<ModelView[]> {
  return apiRequest<ModelView[]>('/router/models', { signal });
}

/** Model ids hold a slash (`openai/gpt-4o-mini`): the path needs it encoded. */
export function updateModel(id: string, request: UpdateModelRequest): Promise<ModelView> {
  return apiRequest<ModelView>(`/router/models/${encodeURIComponent(id)}`, { method: 'PUT', body: request });
}

export function fetchPolicy(signal?: AbortSignal): Promise<RoutingPolicyView> {
  return apiRequest<RoutingPolicyView>('/router/policy', { signal });
}

export function updatePolicy(request: UpdatePolicyRequest): Promise<RoutingPolicyView> {
  return apiRequest<RoutingPolicyView>('/router/policy', { method: 'PUT', body: request });
}

export function explainRoute(request: RouteRequest): Promise<RouteDecisionView> {
  return apiRequest<RouteDecisionView>('/router/route', { method: 'POST', body: request });
}
