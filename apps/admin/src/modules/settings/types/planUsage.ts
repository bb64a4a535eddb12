import type { UsagePeriod } from '@margin/contracts';

/**
 * The plan counters /auth/me is gaining (jobs and items this month, the plan's limits). Declared here as
 * optional so the page works with an API that does not send them yet.
 */
export interface PlanUsage extends UsagePeriod {
  jobs?: number;
  items?: number;
  limits?: {
    maxJobsPerMonth: number | null;
    maxItemsPerMonth: number | null;
    maxItemsPerJob: number | null;
    allowedTiers: string[];
  };
}
