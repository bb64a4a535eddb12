import { Inject, Injectable, Optional } from '@nestjs/common';
import type { KpiView, TimeseriesGranularity, TimeseriesMetric, TimeseriesPoint, TimeseriesView } from '@margin/contracts';
import { LedgerService } from '@margin/cost-tracking';
import { Clock, DomainError, monthPeriodUtc, picoToDecimal, picoToUsd } from '@margin/core';
import { DailyMetricsRepository } from './daily-metrics.repository';
import { FigureSources } from './figure-sources';
import {
  addFigures,
  alignRange,
  bucketKey,
  bucketStarts,
  dayOf,
  emptyFigures,
  nextDay,
  perUnitUsd,
  ratio,
  roi,
  startOfDay,
  type BucketUnit,
  type Figures,
} from './figures';
import { MARKETING_FIGURES, type MarketingFigures, type MarketingFiguresSource } from './marketing-figures.port';

/** A roll-up is trusted for a day only when computed this long after the day ended (late ledger rows have landed). */
export const ROLLUP_SETTLE_MS = 15 * 60_000;
const MAX_BUCKETS: Record<BucketUnit, number> = { hour: 31 * 24, day: 3 * 366 };

export class InvalidRangeError extends DomainError {
  readonly httpStatus = 400;
  readonly code = 'invalid_range';
}

/** The money metrics: the value is a USD amount with an exact twin. */
const MONEY: Partial<Record<TimeseriesMetric, (f: Figures) => bigint>> = {
  cost_usd: (f) => f.costPico,
  saved_usd: (f) => f.savedPico,
  revenue_usd: (f) => f.revenuePico,
};

@Injectable()
export class KpiService {
  constructor(
    private readonly sources: FigureSources,
    private readonly daily: DailyMetricsRepository,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
    @Optional() @Inject(MARKETING_FIGURES) private readonly marketing?: MarketingFiguresSource,
  ) {}

  /** The range the costs summary would use for the same query (default: this month so far). */
  range(query: { from?: Date; to?: Date }): { from: Date; to: Date } {
    const now = this.clock.now();
    const from = query.from ?? monthPeriodUtc(now).start;
    const to = query.to ?? new Date(now.getTime() + 1);
    if (from.getTime() >= to.getTime()) throw new InvalidRangeError('from must be before to');
    return { from, to };
  }

  async kpis(tenantId: string, query: { from?: Date; to?: Date }): Promise<KpiView> {
    const { from, to } = this.range(query);
    const [summary, buckets, marketing, byModel] = await Promise.all([
      // the same call GET /costs/summary makes: financial.costUsd is its totalUsd, by construction
      this.ledger.summary(tenantId, { from, to }),
      this.sources.buckets(tenantId, from, to, 'day'),
      this.marketingFigures(tenantId, from, to),
      this.ledger.modelQuality(tenantId, from, to),
    ]);
    const f = [...buckets.values()].reduce(addFigures, emptyFigures());
    const r = roi(f.revenuePico, f.costPico);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      business: {
        jobsCreated: f.jobsCreated,
        jobsCompleted: f.jobsCompleted,
        itemsAnalyzed: f.itemsCompleted,
        itemsFailed: f.itemsFailed,
        itemsCached: f.itemsCached,
        cacheHitRate: ratio(f.itemsCached, f.itemsCompleted),
        avgQualityScore: f.qualityCount ? Math.round((f.qualitySum / f.qualityCount) * 100) / 100 : null,
        llmCalls: summary.calls,
        inputTokens: summary.inputTokens,
        outputTokens: summary.outputTokens,
      },
      marketing: { ...marketing.figures, source: marketing.source },
      financial: {
        costUsd: summary.totalUsd,
        savedUsd: summary.savedUsd,
        revenueUsd: picoToUsd(f.revenuePico),
        profitUsd: picoToUsd(f.revenuePico - f.costPico),
        costPerItemUsd: perUnitUsd(f.costPico, f.itemsCompleted),
        costPerPostUsd: perUnitUsd(f.costPico, marketing.figures.postsPublished),
        roi: r.roi,
        roiReason: r.reason,
        costUsdExact: picoToDecimal(f.costPico),
        revenueUsdExact: picoToDecimal(f.revenuePico),
      },
      costVsQuality: byModel.map((r) => ({
        model: r.model,
        operation: r.operation,
        calls: r.calls,
        costUsd: picoToUsd(r.costPico),
        costUsdExact: picoToDecimal(r.costPico),
        costPerCallUsd: perUnitUsd(r.costPico, r.calls),
        scoredCalls: r.scoredCalls,
        avgQuality: r.avgQuality,
      })),
    };
  }

  async timeseries(tenantId: string, metric: TimeseriesMetric, unit: TimeseriesGranularity, query: { from?: Date; to?: Date }): Promise<TimeseriesView> {
    const asked = this.range(query);
    const { from, to } = alignRange(asked.from, asked.to, unit);
    const starts = bucketStarts(from, to, unit);
    if (starts.length > MAX_BUCKETS[unit])
      throw new InvalidRangeError(`at most ${MAX_BUCKETS[unit]} ${unit} buckets per request (this range has ${starts.length}); narrow from/to`);
    const figures = unit === 'day' ? await this.dailyFigures(tenantId, from, to, starts) : await this.sources.buckets(tenantId, from, to, unit);
    const points: TimeseriesPoint[] = starts.map((t) => point(metric, figures.get(t) ?? emptyFigures(), t));
    const total = [...figures.values()].reduce(addFigures, emptyFigures());
    const totalPoint = point(metric, total, from.toISOString());
    return { metric, granularity: unit, from: from.toISOString(), to: to.toISOString(), points, total: totalPoint.value, totalExact: totalPoint.exact };
  }

  /** Day buckets: trusted roll-ups for settled past days, live figures for the others (today, late or missing roll-ups). */
  private async dailyFigures(tenantId: string, from: Date, to: Date, starts: string[]): Promise<Map<string, Figures>> {
    const now = this.clock.now().getTime();
    const rolled = await this.daily.rollups(dayOf(from), dayOf(to));
    const trusted = starts
      .map((t) => dayOf(new Date(t)))
      .filter((d) => {
        const at = rolled.get(d);
        return at !== undefined && at.getTime() >= nextDay(d).getTime() + ROLLUP_SETTLE_MS && nextDay(d).getTime() <= now;
      });
    const out = new Map<string, Figures>();
    for (const [day, f] of await this.daily.figures(tenantId, trusted)) out.set(bucketKey(startOfDay(day)), f);
    // the untrusted days, in contiguous spans, computed live
    const trustedSet = new Set(trusted);
    let spanStart: string | null = null;
    const spans: Array<{ from: Date; to: Date }> = [];
    for (const t of [...starts, null]) {
      const untrusted = t !== null && !trustedSet.has(dayOf(new Date(t)));
      if (untrusted && spanStart === null) spanStart = t;
      if (!untrusted && spanStart !== null) {
        spans.push({ from: new Date(spanStart), to: t === null ? to : new Date(t) });
        spanStart = null;
      }
    }
    for (const span of spans) for (const [k, f] of await this.sources.buckets(tenantId, span.from, span.to, 'day')) out.set(k, f);
    return out;
  }

  private async marketingFigures(tenantId: string, from: Date, to: Date): Promise<{ figures: MarketingFigures; source: 'publishing' | 'none' }> {
    if (!this.marketing) return { figures: { postsCreated: 0, postsPublished: 0, deliveriesFailed: 0, endpointsActive: 0 }, source: 'none' };
    return { figures: await this.marketing.figures(tenantId, from, to), source: 'publishing' };
  }
}

function point(metric: TimeseriesMetric, f: Figures, t: string): TimeseriesPoint {
  const money = MONEY[metric];
  if (money) return { t, value: picoToUsd(money(f)), exact: picoToDecimal(money(f)) };
  switch (metric) {
    case 'items':
      return { t, value: f.itemsCompleted };
    case 'cache_hit_rate':
      return { t, value: ratio(f.itemsCached, f.itemsCompleted) };
    case 'quality':
      return { t, value: f.qualityCount ? Math.round((f.qualitySum / f.qualityCount) * 100) / 100 : null };
    case 'cost_usd':
    case 'saved_usd':
    case 'revenue_usd':
      throw new Error('unreachable: money metrics are handled above');
  }
}
