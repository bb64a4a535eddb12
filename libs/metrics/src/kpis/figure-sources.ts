import { Injectable } from '@nestjs/common';
import { JobActivityService } from '@margin/analysis';
import { LedgerService } from '@margin/cost-tracking';
import { usdToPico } from '@margin/core';
import { RevenueRepository } from '../revenue/revenue.repository';
import { addFigures, bucketKey, emptyFigures, type BucketUnit, type Figures } from './figures';

/**
 * A tenant's figures per bucket, computed live from their owners: the ledger (cost-tracking), job activity
 * (analysis) and revenue (ours). The daily roll-up stores exactly this for past days.
 */
@Injectable()
export class FigureSources {
  constructor(
    private readonly ledger: LedgerService,
    private readonly activity: JobActivityService,
    private readonly revenue: RevenueRepository,
  ) {}

  /** Buckets of [from, to) with any activity, keyed by ISO bucket start. */
  async buckets(tenantId: string, from: Date, to: Date, unit: BucketUnit): Promise<Map<string, Figures>> {
    const [ledger, activity, revenue] = await Promise.all([
      this.ledger.buckets(tenantId, from, to, unit),
      this.activity.buckets(tenantId, from, to, unit),
      this.revenue.buckets(tenantId, from, to, unit),
    ]);
    const out = new Map<string, Figures>();
    const add = (bucket: string, part: Partial<Figures>) => {
      const key = bucketKey(bucket);
      out.set(key, addFigures(out.get(key) ?? emptyFigures(), part));
    };
    for (const l of ledger)
      add(l.bucket, {
        llmCalls: l.calls,
        inputTokens: l.inputTokens,
        outputTokens: l.outputTokens,
        costPico: l.costPico,
        savedPico: l.savedPico,
        qualitySum: l.qualitySum,
        qualityCount: l.qualityCount,
      });
    for (const a of activity)
      add(a.bucket, {
        jobsCreated: a.jobsCreated,
        jobsCompleted: a.jobsCompleted,
        itemsCompleted: a.itemsCompleted,
        itemsFailed: a.itemsFailed,
        itemsCached: a.itemsCached,
      });
    for (const r of revenue) add(r.bucket, { revenuePico: usdToPico(r.amountUsd) });
    return out;
  }
}
