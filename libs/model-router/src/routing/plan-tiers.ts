import type { ModelTier } from '@margin/contracts';

/**
 * The model tiers a tenant's plan allows. Implemented by the module that owns plans (analysis); the gateway only
 * asks, so that dependencies keep pointing one way.
 */
export abstract class PlanTiersSource {
  abstract allowedTiers(tenantId: string): Promise<readonly ModelTier[]>;
}
