import { screen, within } from '@testing-library/react';
import type { KpiView, TimeseriesView } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';
import { rangeOf } from '../types/range';

const kpis = (over: Partial<KpiView['financial']> = {}): KpiView => ({
  from: '2026-11-02T00:00:00.000Z',
  to: '2026-12-02T00:00:00.000Z',
  business: {
    jobsCreated: 4,
    jobsCompleted: 3,
    itemsAnalyzed: 120,
    itemsFailed: 2,
    itemsCached: 30,
    cacheHitRate: 0.25,
    avgQualityScore: 87.5,
    llmCalls: 300,
    inputTokens: 1,
    outputTokens: 1,
  },
  marketing: { postsCreated: 0, postsPublished: 0, deliveriesFailed: 0, endpointsActive: 0, source: 'none' },
  financial: {
    costUsd: 12.5,
    savedUsd: 40,
    revenueUsd: 50,
    profitUsd: 37.5,
    costPerItemUsd: 0.104167,
    costPerPostUsd: null,
    roi: 3,
    roiReason: null,
    costUsdExact: '12.500000000000',
    revenueUsdExact: '50.000000000000',
    ...over,
  },
  costVsQuality: [
    {
      model: 'anthropic/claude-sonnet-4-5',
      operation: 'refine',
      calls: 10,
      costUsd: 2,
      costUsdExact: '2.000000000000',
      costPerCallUsd: 0.2,
      scoredCalls: 10,
      avgQuality: 91,
    },
    {
      model: 'ollama/qwen3:8b',
      operation: 'draft',
      calls: 20,
      costUsd: 0,
      costUsdExact: '0.000000000000',
      costPerCallUsd: 0,
      scoredCalls: 20,
      avgQuality: 74.5,
    },
  ],
});

function backend(k: KpiView) {
  const { from, to } = rangeOf(30);
  const q = (extra: string) => `${extra}from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const series = (metric: string): TimeseriesView => ({
    metric: metric as TimeseriesView['metric'],
    granularity: 'day',
    from,
    to,
    points: [{ t: from, value: 1 }],
    total: 1,
  });
  const routes: Record<string, () => { status: number; body: unknown }> = {
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role: 'admin' }) }),
    [`GET /api/v1/metrics/kpis?${q('')}`]: () => ({ status: 200, body: k }),
  };
  for (const metric of ['cost_usd', 'saved_usd', 'items', 'cache_hit_rate', 'revenue_usd'])
    routes[`GET /api/v1/metrics/timeseries?${q(`metric=${metric}&granularity=day&`)}`] = () => ({ status: 200, body: series(metric) });
  return installFetchMock(routes);
}

describe('KpiPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('shows the three KPI groups for the last 30 days and the charts', async () => {
    const mock = backend(kpis());
    renderApp('/kpis');
    const financial = await screen.findByRole('region', { name: 'Financial' });
    expect(within(financial).getByText('$12.50')).toBeInTheDocument();
    expect(within(financial).getByText('300%')).toBeInTheDocument();
    expect(within(screen.getByRole('region', { name: 'Business' })).getByText('25%')).toBeInTheDocument();
    expect(screen.getByText('Publishing is not set up: nothing is published yet.')).toBeInTheDocument();
    for (const title of ['Cost vs savings (USD per day)', 'Items and cache hit rate', 'Revenue vs cost (USD per day)', 'Cost per model vs quality'])
      expect(screen.getByRole('figure', { name: title })).toBeInTheDocument();
    expect(mock.requests.some((r) => r.path.startsWith('/api/v1/metrics/timeseries?metric=revenue_usd'))).toBe(true);
  });

  it('says ROI is not applicable when nothing was spent', async () => {
    backend(kpis({ costUsd: 0, roi: null, roiReason: 'no_cost' }));
    renderApp('/kpis');
    const financial = await screen.findByRole('region', { name: 'Financial' });
    expect(within(financial).getByText('n/a (no cost)')).toBeInTheDocument();
  });
});
