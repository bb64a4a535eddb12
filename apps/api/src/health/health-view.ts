// What /health tells someone who is not the operator: each dependency's state and the counts a load balancer
// or a status page needs, but no host names, pids, queue names, URLs or error texts (those help an attacker
// map the installation). The operator's admins, with their credentials, see everything.
import type { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';

type Section = HealthIndicatorResult[string];

/** Fields each indicator may show publicly, besides `status`. */
const PUBLIC_FIELDS: Record<string, readonly string[]> = {
  workers: ['count', 'degraded'],
  providers: ['healthy', 'total', 'down'],
};
/** Per-provider fields that may be shown publicly. */
const PUBLIC_PROVIDER_FIELDS = ['healthy', 'down', 'emulated', 'backInSeconds'];

function pick(source: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => f in source).map((f) => [f, source[f]]));
}

function publicSection(name: string, section: Section): Section {
  const out: Section = { status: section.status, ...pick(section, PUBLIC_FIELDS[name] ?? []) };
  // our own words about a state (no worker yet), never an exception's
  if (name === 'workers' && section.status === 'up' && typeof section['message'] === 'string') out['message'] = section['message'];
  if (name === 'providers' && section['providers'] && typeof section['providers'] === 'object') {
    out['providers'] = Object.fromEntries(
      Object.entries(section['providers'] as Record<string, Record<string, unknown>>).map(([id, p]) => [id, pick(p, PUBLIC_PROVIDER_FIELDS)]),
    );
  }
  return out;
}

function publicIndicators(result: HealthIndicatorResult | undefined): HealthIndicatorResult | undefined {
  if (!result) return result;
  return Object.fromEntries(Object.entries(result).map(([name, section]) => [name, publicSection(name, section)]));
}

export function publicHealth(result: HealthCheckResult): HealthCheckResult {
  return { status: result.status, info: publicIndicators(result.info), error: publicIndicators(result.error), details: publicIndicators(result.details) ?? {} };
}
