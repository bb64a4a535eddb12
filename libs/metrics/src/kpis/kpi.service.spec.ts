import type { CostSummary } from '@margin/contracts';
import { ManualClock } from '@margin/core';
import type { DailyMetricsRepository } from './daily-metrics.repository';
import type { FigureSources } from './figure-sources';
import { addFigures, emptyFigures } from './figures';
import { KpiService } from './kpi.service';
import type { MarketingFiguresSource } from './marketing-figures.port';

describe('KpiService', () => {
  const clock = new ManualClock(new Date('2026-12-10T12:00:00Z'));
  const summary: CostSummary = {
    from: '',
    to: '',
    totalUsd: 3,
    savedUsd: 1,
    savedByRoutingUsd: 1,
    savedByCacheUsd: 0,
    calls: 7,
    inputTokens: 70,
    outputTokens: 7,
    rows: [],
  } as CostSummary;
  const ledger = { summary: jest.fn(async () => summary) };
  const sources = {
    buckets: jest.fn(
      async () =>
        new Map([
          ['2026-12-09T00:00:00.000Z', addFigures(emptyFigures(), { costPico: 3_000_000_000_000n, revenuePico: 9_000_000_000_000n, itemsCompleted: 4 })],
        ]),
    ),
  };

  it('reads the marketing figures from the port when one is provided, and prices each published post', async () => {
    const marketing: MarketingFiguresSource = {
      figures: jest.fn(async () => ({ postsCreated: 5, postsPublished: 4, deliveriesFailed: 1, endpointsActive: 2 })),
    };
    const service = new KpiService(sources as unknown as FigureSources, {} as DailyMetricsRepository, ledger as never, clock, marketing);
    const k = await service.kpis('t1', { from: new Date('2026-12-09T00:00:00Z'), to: new Date('2026-12-10T00:00:00Z') });
    expect(marketing.figures).toHaveBeenCalledWith('t1', new Date('2026-12-09T00:00:00Z'), new Date('2026-12-10T00:00:00Z'));
    expect(k.marketing).toEqual({ postsCreated: 5, postsPublished: 4, deliveriesFailed: 1, endpointsActive: 2, source: 'publishing' });
    expect(k.financial).toMatchObject({ costUsd: 3, costPerPostUsd: 0.75, costPerItemUsd: 0.75, revenueUsd: 9, roi: 2 });
    // the costs summary is asked for the very same range
    expect(ledger.summary).toHaveBeenCalledWith('t1', { from: new Date('2026-12-09T00:00:00Z'), to: new Date('2026-12-10T00:00:00Z') });
  });

  it('says source "none" with zeros when no publishing module provides figures', async () => {
    const service = new KpiService(sources as unknown as FigureSources, {} as DailyMetricsRepository, ledger as never, clock);
    const k = await service.kpis('t1', {});
    expect(k.marketing).toEqual({ postsCreated: 0, postsPublished: 0, deliveriesFailed: 0, endpointsActive: 0, source: 'none' });
    expect(k.financial.costPerPostUsd).toBeNull();
    expect(k.from).toBe('2026-12-01T00:00:00.000Z');
  });
});
