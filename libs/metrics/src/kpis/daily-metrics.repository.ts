import { Injectable } from '@nestjs/common';
import { picoToDecimal, usdToPico } from '@margin/core';
import { DataSource, type EntityManager } from 'typeorm';
import type { Figures } from './figures';

interface DailyRow {
  day: string;
  jobs_created: number;
  jobs_completed: number;
  items_completed: number;
  items_failed: number;
  items_cached: number;
  llm_calls: number;
  input_tokens: string;
  output_tokens: string;
  cost_usd: string;
  saved_usd: string;
  revenue_usd: string;
  quality_sum: string;
  quality_count: number;
}

const toFigures = (r: DailyRow): Figures => ({
  jobsCreated: r.jobs_created,
  jobsCompleted: r.jobs_completed,
  itemsCompleted: r.items_completed,
  itemsFailed: r.items_failed,
  itemsCached: r.items_cached,
  llmCalls: r.llm_calls,
  inputTokens: Number(r.input_tokens),
  outputTokens: Number(r.output_tokens),
  costPico: usdToPico(r.cost_usd),
  savedPico: usdToPico(r.saved_usd),
  revenuePico: usdToPico(r.revenue_usd),
  qualitySum: Number(r.quality_sum),
  qualityCount: r.quality_count,
});

@Injectable()
export class DailyMetricsRepository {
  constructor(private readonly db: DataSource) {}

  /** The rolled-up days in [fromDay, toDay) and when each was computed. */
  async rollups(fromDay: string, toDay: string): Promise<Map<string, Date>> {
    const rows = (await this.db.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, computed_at FROM daily_rollups WHERE day >= $1 AND day < $2`, [
      fromDay,
      toDay,
    ])) as Array<{ day: string; computed_at: Date }>;
    return new Map(rows.map((r) => [r.day, r.computed_at]));
  }

  /** A tenant's rolled-up figures for the given days (a day without a row had no activity). */
  async figures(tenantId: string, days: string[]): Promise<Map<string, Figures>> {
    if (days.length === 0) return new Map();
    const rows = (await this.db.query(`SELECT *, to_char(day, 'YYYY-MM-DD') AS day FROM daily_metrics WHERE tenant_id = $1 AND day = ANY($2::date[])`, [
      tenantId,
      days,
    ])) as DailyRow[];
    return new Map(rows.map((r) => [r.day, toFigures(r)]));
  }

  /**
   * Replaces one day's roll-up for every tenant at once (a system job: the rows carry their tenants), in one
   * transaction, so that recomputing a day is idempotent and a reader never sees half of it.
   */
  async replaceDay(day: string, rows: Array<{ tenantId: string; figures: Figures }>, computedAt: Date): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(`DELETE FROM daily_metrics WHERE day = $1`, [day]);
      await this.insertRows(m, day, rows, computedAt);
      await m.query(
        `INSERT INTO daily_rollups (day, computed_at, tenants) VALUES ($1, $2, $3) ON CONFLICT (day) DO UPDATE SET computed_at = EXCLUDED.computed_at, tenants = EXCLUDED.tenants`,
        [day, computedAt, rows.length],
      );
    });
  }

  /** Replaces one tenant's row of an already rolled-up day (revenue booked for a past day); the day's marker stays. */
  async replaceTenantDay(tenantId: string, day: string, figures: Figures | null): Promise<void> {
    await this.db.transaction(async (m) => {
      const [marker] = (await m.query(`SELECT computed_at FROM daily_rollups WHERE day = $1 FOR SHARE`, [day])) as Array<{ computed_at: Date }>;
      if (!marker) return; // not rolled up: read live anyway
      await m.query(`DELETE FROM daily_metrics WHERE tenant_id = $1 AND day = $2`, [tenantId, day]);
      if (figures) await this.insertRows(m, day, [{ tenantId, figures }], marker.computed_at);
    });
  }

  private async insertRows(m: EntityManager, day: string, rows: Array<{ tenantId: string; figures: Figures }>, computedAt: Date): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const col = <T>(f: (r: { tenantId: string; figures: Figures }) => T): T[] => chunk.map(f);
      await m.query(
        `INSERT INTO daily_metrics (tenant_id, day, jobs_created, jobs_completed, items_completed, items_failed, items_cached, llm_calls,
             input_tokens, output_tokens, cost_usd, saved_usd, revenue_usd, quality_sum, quality_count, computed_at)
           SELECT t, $1::date, jc, jd, ic, if, ih, lc, it, ot, c, s, r, qs, qc, $2 FROM unnest($3::uuid[], $4::int[], $5::int[], $6::int[], $7::int[],
             $8::int[], $9::int[], $10::bigint[], $11::bigint[], $12::numeric[], $13::numeric[], $14::numeric[], $15::numeric[], $16::int[])
             AS u(t, jc, jd, ic, if, ih, lc, it, ot, c, s, r, qs, qc)`,
        [
          day,
          computedAt,
          col((r) => r.tenantId),
          col((r) => r.figures.jobsCreated),
          col((r) => r.figures.jobsCompleted),
          col((r) => r.figures.itemsCompleted),
          col((r) => r.figures.itemsFailed),
          col((r) => r.figures.itemsCached),
          col((r) => r.figures.llmCalls),
          col((r) => r.figures.inputTokens),
          col((r) => r.figures.outputTokens),
          col((r) => picoToDecimal(r.figures.costPico)),
          col((r) => picoToDecimal(r.figures.savedPico)),
          col((r) => picoToDecimal(r.figures.revenuePico)),
          col((r) => r.figures.qualitySum),
          col((r) => r.figures.qualityCount),
        ],
      );
    }
  }
}
