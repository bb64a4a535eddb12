import type { PlanLimits } from '@margin/contracts';
import { NotFoundError } from '@margin/core';
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

  it('reads the weight and cap from the tenant’s plan', async () => {
    const quotas = strictMock<QuotaService>({ limitsFor: async (id: string) => (id === 'pro-tenant' ? limits('pro', 2, 100) : limits('free', 1, 10)) });
    const shares = new FairShares(quotas);
    expect(await shares.of('pro-tenant')).toEqual({ weight: 2, maxRunning: 100 });
    expect(await shares.of('free-tenant')).toEqual({ weight: 1, maxRunning: 10 });
    expect(quotas.limitsFor).toHaveBeenCalledWith('pro-tenant');
  });

  it('a tenant that is gone is served like the smallest plan, never blocked', async () => {
    const shares = new FairShares(
      strictMock<QuotaService>({
        limitsFor: async () => {
          throw new NotFoundError('Tenant');
        },
      }),
    );
    expect(await shares.of('gone')).toEqual({ weight: 1, maxRunning: null });
  });
});
