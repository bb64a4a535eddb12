import type { CreateEndpointRequest, EndpointTestResult, EndpointView, UpdateEndpointRequest } from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export const endpointsQueryKey = ['endpoints'] as const;

const endpointPath = (id: string) => `/endpoints/${encodeURIComponent(id)}`;

export function fetchEndpoints(signal?: AbortSignal): Promise<EndpointView[]> {
  return apiRequest<EndpointView[]>('/endpoints', { signal });
}

export function createEndpoint(request: CreateEndpointRequest): Promise<EndpointView> {
  return apiRequest<EndpointView>('/endpoints', { method: 'POST', body: request });
}

export function updateEndpoint(id: string, request: UpdateEndpointRequest): Promise<EndpointView> {
  return apiRequest<EndpointView>(endpointPath(id), { method: 'PATCH', body: request });
}

export function deleteEndpoint(id: string): Promise<void> {
  return apiRequest<void>(endpointPath(id), { method: 'DELETE' });
}

export function testEndpoint(id: string): Promise<EndpointTestResult> {
  return apiRequest<EndpointTestResult>(`${endpointPath(id)}/test`, { method: 'POST' });
}
