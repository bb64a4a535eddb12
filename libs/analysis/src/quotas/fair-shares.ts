import { Injectable } from '@nestjs/common';
import { TenantRepository } from '@margin/identity';
import { QuotaService } from './quota.service';

/** A tenant's share of the queue, from its plan: its weight in the round-robin and its cap (null: none). */
export interface FairShare {
  weight: number;
  maxRunning: number | null;
}

/** A plan edit or a tenant's plan change reaches the queue within this long (items are handed over by the thousand per second). */
const TTL_MS = 30_000;
/** Tenant gone or plan unknown: served like the smallest plan, never blocked. */
const FALLBACK: FairShare = { weight: 1, maxRunning: null };

/** Each tenant's fair share, read from its plan (the `plans` table, editable data) and cached briefly per process. */
@Injectable()
export class FairShares {
  private readonly cache = new Map<string, { share: FairShare; until: number }>();

  constructor(
    private readonly tenants: TenantRepository,
    private readonly quotas: QuotaService,
  ) {}

  async of(tenantId: string): Promise<FairShare> {
    const now = Date.now();
    const hit = this.cache.get(tenantId);
    if (hit && hit.until > now) return hit.share;
    const tenant = await this.tenants.findById(tenantId);
    let share = FALLBACK;
    if (tenant) {
      const limits = await this.quotas.limits(tenant.plan).catch(() => null);
      if (limits) share = { weight: limits.fairShareWeight, maxRunning: limits.maxRunningItems };
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tenantId, { share, until: now + TTL_MS });
    return share;
  }
}
