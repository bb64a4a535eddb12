import type { PlanLimits } from '@margin/contracts';
import type { TenantRepository } from '@margin/identity';
import { strictMock } from '@margin/testing';
import { FairShares } from './fair-shares';
import type { QuotaService } from './quota.service';

describe('FairShares', () => {
  const limits = (plan: PlanLimits['plan'], fairShareWeight: number, maxRunningItems: number | null): PlanLimits => ({
    plan,
    maxJobsPerMonth: null,
    maxItemsPerMonth: null,
    maxItemsPerJob: null,
    allowedTiers: ['local'],
    fairShareWeight,
    maxRunningItems,
  });

  it('reads the weight and cap from the tenant’s plan, once per tenant for a while', async () => {
    const tenants = strictMock<TenantRepository>({ findById: async (id: string) => ({ id, plan: id === 'pro-tenant' ? 'pro' : 'free' }) as never });
    const quotas = strictMock<QuotaService>({ limits: async (plan) => (plan === 'pro' ? limits('pro', 2, 100) : limits('free', 1, 10)) });
    const shares = new FairShares(tenants, quotas);
    expect(await shares.of('pro-tenant')).toEqual({ weight: 2, maxRunning: 100 });
    expect(await shares.of('free-tenant')).toEqual({ weight: 1, maxRunning: 10 });
    expect(await shares.of('pro-tenant')).toEqual({ weight: 2, maxRunning: 100 });
    expect(tenants.findById).toHaveBeenCalledTimes(2);
  });

  it('a tenant that is gone is served like the smallest plan, never blocked', async () => {
    const shares = new FairShares(strictMock<TenantRepository>({ findById: async () => null }), strictMock<QuotaService>({}));
    expect(await shares.of('gone')).toEqual({ weight: 1, maxRunning: null });
  });
});
