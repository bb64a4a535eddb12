import type { HealthResponse } from '@margin/contracts';

// contracts' HealthResponse leaves each indicator's details open; the providers indicator's shape is
// defined here until contracts describes it.

export interface ProviderHealthState {
  healthy: boolean;
  /** True when the host is Margin's LLM emulator. */
  emulated: boolean;
  latencyMs?: number | null;
  error?: string;
}

export interface ProviderHealth extends ProviderHealthState {
  id: string;
}

function isProviderState(value: unknown): value is ProviderHealthState {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { healthy?: unknown }).healthy === 'boolean' &&
    typeof (value as { emulated?: unknown }).emulated === 'boolean'
  );
}

/** Each enabled provider as /health reports it (details.providers.providers), in the server's order. */
export function providersOf(health: HealthResponse | undefined): ProviderHealth[] {
  const providers = (health?.details?.['providers'] as { providers?: unknown } | undefined)?.providers;
  if (typeof providers !== 'object' || providers === null) return [];
  return Object.entries(providers as Record<string, unknown>)
    .filter((entry): entry is [string, ProviderHealthState] => isProviderState(entry[1]))
    .map(([id, state]) => ({ id, ...state }));
}
