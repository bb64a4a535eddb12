import { Injectable } from '@nestjs/common';
import type { ModelTier } from '@margin/contracts';
import { NotFoundError } from '@margin/core';
import { TenantRepository } from '@margin/identity';
import { PlanTiersSource } from '@margin/model-router';
import { LRUCache } from 'lru-cache';
import { QuotaService } from './quota.service';

/** A plan change reaches the gateway within this long (the plan is read on the hot path of every /v1 call). */
const TTL_MS = 10_000;

/** The tiers each tenant's plan allows, for callers outside analysis (the /v1 gateway). */
@Injectable()
export class PlanTiers extends PlanTiersSource {
  private readonly cache = new LRUCache<string, readonly ModelTier[]>({ max: 10_000, ttl: TTL_MS });

  constructor(
    private readonly tenants: TenantRepository,
    private readonly quotas: QuotaService,
  ) {
    super();
  }

  async allowedTiers(tenantId: string): Promise<readonly ModelTier[]> {
    const cached = this.cache.get(tenantId);
    if (cached) return cached;
    const tenant = await this.tenants.findById(tenantId);
    if (!tenant) throw new NotFoundError('Tenant');
    const tiers = (await this.quotas.limits(tenant.plan)).allowedTiers;
    this.cache.set(tenantId, tiers);
    return tiers;
  }
}
