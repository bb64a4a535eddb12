import { Injectable } from '@nestjs/common';
import { QuotaService } from './quota.service';

/** A tenant's share of the queue, from its plan: its weight in the round-robin and its cap (null: none). */
export interface FairShare {
  weight: number;
  maxRunning: number | null;
}

/** Tenant gone or plan unknown: served like the smallest plan, never blocked. */
const FALLBACK: FairShare = { weight: 1, maxRunning: null };

/** Each tenant's fair share, read from its plan (the `plans` table, editable data) through the quota service's per-tenant cache. */
@Injectable()
export class FairShares {
  constructor(private readonly quotas: QuotaService) {}

  async of(tenantId: string): Promise<FairShare> {
    const limits = await this.quotas.limitsFor(tenantId).catch(() => null);
    return limits ? { weight: limits.fairShareWeight, maxRunning: limits.maxRunningItems } : FALLBACK;
  }
}
