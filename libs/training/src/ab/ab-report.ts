import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@margin/core';
import { AbStatsService } from '@margin/model-router';
import type { DataSource } from 'typeorm';

export interface AbArmRow {
  operation: string;
  complexity: string | null;
  arm: 'incumbent' | 'challenger';
  model: string;
  /** Attempts booked in the ledger, failures included. */
  calls: number;
  failures: number;
  costUsd: number;
  /** Answers with an assessed quality (a gate's score), and their mean. */
  judged: number;
  quality: number | null;
  /** Answers people rated, and the mean rating (1–5). */
  rated: number;
  rating: number | null;
}

interface ExampleArmStats {
  operation: string;
  complexity: string | null;
  arm: string;
  model: string;
  judged: number;
  quality: string | null;
  rated: number;
  rating: string | null;
}

/** The examples' side of the per-arm report: assessed quality and people's ratings, per arm and model. */
@Injectable()
export class AbExamplesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async stats(tenantId: string, from: Date, to: Date): Promise<ExampleArmStats[]> {
    return (await this.db.query(
      `SELECT e.operation, e.complexity, e.ab_arm AS arm, e.model_id AS model,
         count(e.quality)::int AS judged, avg(e.quality)::numeric(8, 3)::text AS quality,
         count(f.rating)::int AS rated, avg(f.rating)::numeric(4, 2)::text AS rating
       FROM training_examples e LEFT JOIN training_feedback f ON f.tenant_id = e.tenant_id AND f.item_id = e.item_id
       WHERE e.tenant_id = $1 AND e.created_at >= $2 AND e.created_at < $3 AND e.ab_arm IS NOT NULL
       GROUP BY e.operation, e.complexity, e.ab_arm, e.model_id`,
      [tenantId, from, to],
    )) as ExampleArmStats[];
  }
}

const num = (v: string | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * A/B results per policy cell arm: what the ledger says (calls, failures, cost) beside what the examples say
 * (assessed quality, ratings). Default period: the 30 days before `to`.
 */
@Injectable()
export class AbReportService {
  constructor(
    private readonly ab: AbStatsService,
    private readonly examples: AbExamplesRepository,
    private readonly clock: Clock,
  ) {}

  async report(tenantId: string, range: { from?: Date; to?: Date }): Promise<{ from: string; to: string; arms: AbArmRow[] }> {
    const to = range.to ?? new Date(this.clock.now().getTime() + 1);
    const from = range.from ?? new Date(to.getTime() - 30 * 86_400_000);
    const [calls, judged] = await Promise.all([this.ab.arms(tenantId, from, to), this.examples.stats(tenantId, from, to)]);
    const key = (r: { operation: string; complexity: string | null; arm: string; model: string }): string =>
      `${r.operation}|${r.complexity}|${r.arm}|${r.model}`;
    const byKey = new Map(judged.map((j) => [key(j), j]));
    const arms = calls.map((c): AbArmRow => {
      const j = byKey.get(key(c));
      return { ...c, judged: j?.judged ?? 0, quality: num(j?.quality), rated: j?.rated ?? 0, rating: num(j?.rating) };
    });
    return { from: from.toISOString(), to: to.toISOString(), arms };
  }
}
