import type { HealthResponse } from '@margin/contracts';
import { ApiError } from '../../../shared/api/client';

export const healthQueryKey = ['health'] as const;

/**
 * GET /health: public and outside /api/v1, so it skips the API client. Terminus answers 503 with the same
 * body when Postgres or Redis is down; the provider details in it are still worth showing.
 */
export async function fetchHealth(signal?: AbortSignal): Promise<HealthResponse> {
  let response: Response;
  try {
    response = await fetch('/health', { headers: { Accept: 'application/json' }, signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, ['Could not reach the server.'], null);
  }
  const body = (await response.json().catch(() => null)) as HealthResponse | null;
  if (!body || typeof body !== 'object' || !('details' in body)) {
    throw new ApiError(response.status, [`Health check failed (${response.status}).`], null);
  }
  return body;
}
