import type { LlmCallView } from '@margin/contracts';

/** Filters the API has no parameter for: applied to the rows already loaded. */
export interface ClientCallFilters {
  provider: string;
  model: string;
  outcome: string;
}

export const NO_CLIENT_FILTERS: ClientCallFilters = { provider: '', model: '', outcome: '' };

export function filterCalls(calls: LlmCallView[], filters: ClientCallFilters): LlmCallView[] {
  return calls.filter(
    (call) =>
      (!filters.provider || call.provider === filters.provider) &&
      (!filters.model || call.model === filters.model) &&
      (!filters.outcome || call.outcome === filters.outcome),
  );
}

/** The distinct values of a field, sorted; a selected value stays listed even when no loaded row has it. */
export function optionsOf(calls: LlmCallView[], field: keyof ClientCallFilters, selected: string): string[] {
  const values = new Set(calls.map((call) => call[field]));
  if (selected) values.add(selected);
  return [...values].sort((a, b) => a.localeCompare(b));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}
