import type { KpiView } from '@margin/contracts';
import { kpisToCsv } from './kpiCsv';

describe('kpisToCsv', () => {
  it('writes every KPI of the three groups, nulls as empty cells', () => {
    const kpis: KpiView = {
      from: '2026-12-01T00:00:00.000Z',
      to: '2026-12-02T00:00:00.000Z',
      business: {
        jobsCreated: 2,
        jobsCompleted: 1,
        itemsAnalyzed: 3,
        itemsFailed: 0,
        itemsCached: 1,
        cacheHitRate: 0.333333,
        avgQualityScore: null,
        llmCalls: 4,
        inputTokens: 10,
        outputTokens: 5,
      },
      marketing: { postsCreated: 0, postsPublished: 0, deliveriesFailed: 0, endpointsActive: 0, source: 'none' },
      financial: {
        costUsd: 1.5,
        savedUsd: 0.25,
        revenueUsd: 3,
        profitUsd: 1.5,
        costPerItemUsd: 0.5,
        costPerPostUsd: null,
        roi: 1,
        roiReason: null,
        costUsdExact: '1.500000000000',
        revenueUsdExact: '3.000000000000',
      },
      costVsQuality: [
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
      ],
    };
    const csv = kpisToCsv(kpis);
    expect(csv.split('\n')).toEqual(
      expect.arrayContaining([
        'group,kpi,value',
        'business,cacheHitRate,0.333333',
        'business,avgQualityScore,',
        'financial,roi,1',
        'marketing,source,none',
        'model-quality,ollama/qwen3:8b draft avgQuality,81.5',
        'model-quality,ollama/qwen3:8b draft scoredCalls,2',
      ]),
    );
  });
});
