import type { Plan, UsagePeriod } from '@margin/contracts';

/**
 * What a tenant used this month and what its plan allows. Implemented by the analysis module (which owns
 * jobs and plans); identity only asks, so that dependencies keep pointing one way.
 */
export abstract class TenantUsageSource {
  abstract usage(tenantId: string, plan: Plan, period: { start: Date; end: Date }): Promise<Required<Pick<UsagePeriod, 'jobs' | 'items' | 'limits'>>>;
}
