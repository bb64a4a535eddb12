import { Injectable } from '@nestjs/common';
import type { ModelTier } from '@margin/contracts';
import { PlanTiersSource } from '@margin/model-router';
import { QuotaService } from './quota.service';

/** The tiers each tenant's plan allows, for callers outside analysis (the /v1 gateway). */
@Injectable()
export class PlanTiers extends PlanTiersSource {
  constructor(private readonly quotas: QuotaService) {
    super();
  }

  async allowedTiers(tenantId: string): Promise<readonly ModelTier[]> {
    return (await this.quotas.limitsFor(tenantId)).allowedTiers;
  }
}
