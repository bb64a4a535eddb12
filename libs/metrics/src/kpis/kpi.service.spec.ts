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
  const ledger = {
    summary: jest.fn(async () => summary),
    modelQuality: jest.fn(async () => [
      { model: 'ollama/qwen3:8b', operation: 'draft', calls: 3, costPico: 0n, scoredCalls: 2, avgQuality: 81.5 },
      { model: 'openai/gpt-4o', operation: 'refine', calls: 2, costPico: 1_000_000_000_001n, scoredCalls: 0, avgQuality: null },
    ]),
  };
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

  it('gives cost against quality per model and operation for the same range, exact, with the cost per call', async () => {
    const service = new KpiService(sources as unknown as FigureSources, {} as DailyMetricsRepository, ledger as never, clock);
    const range = { from: new Date('2026-12-09T00:00:00Z'), to: new Date('2026-12-10T00:00:00Z') };
    const k = await service.kpis('t1', range);
    expect(ledger.modelQuality).toHaveBeenCalledWith('t1', range.from, range.to);
    expect(k.costVsQuality).toEqual([
      {
        model: 'ollama/qwen3:8b',
        operation: 'draft',
        calls: 3,
        costUsd: 0,
        costUsdExact: '0.000000000000',
        costPerCallUsd: 0,
        scoredCalls: 2,
        avgQuality: 81.5,
      },
      {
        model: 'openai/gpt-4o',
        operation: 'refine',
        calls: 2,
        costUsd: 1,
        costUsdExact: '1.000000000001',
        costPerCallUsd: 0.5,
        scoredCalls: 0,
        avgQuality: null,
      },
    ]);
  });
});
