import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@margin/core';
import { TenantRepository } from '@margin/identity';
import { DailyMetricsRepository } from './daily-metrics.repository';
import { FigureSources } from './figure-sources';
import { addFigures, dayOf, emptyFigures, isEmpty, nextDay, startOfDay, type Figures } from './figures';

/** Tenants computed at once (each is three indexed range queries). */
const PARALLEL = 4;

/**
 * The daily roll-up: every tenant's figures for one UTC day, computed from the same sources as the live
 * figures and written in one transaction that replaces the day. Idempotent: running it again for a day
 * recomputes it (late ledger rows included).
 */
@Injectable()
export class RollupService {
  private readonly logger = new Logger(RollupService.name);

  constructor(
    private readonly tenants: TenantRepository,
    private readonly sources: FigureSources,
    private readonly daily: DailyMetricsRepository,
    private readonly clock: Clock,
  ) {}

  today(): string {
    return dayOf(this.clock.now());
  }

  /** The days the scheduled run recomputes: yesterday and the day before (rows booked late land in either). */
  dueDays(now = this.clock.now()): string[] {
    const today = startOfDay(dayOf(now)).getTime();
    return [dayOf(new Date(today - 2 * 86_400_000)), dayOf(new Date(today - 86_400_000))];
  }

  /** Brings one tenant's rows of already rolled-up days up to date (revenue booked for past days). */
  async refreshTenantDays(tenantId: string, days: Iterable<string>): Promise<void> {
    for (const day of new Set(days)) {
      const f = [...(await this.sources.buckets(tenantId, startOfDay(day), nextDay(day), 'day')).values()].reduce(addFigures, emptyFigures());
      await this.daily.replaceTenantDay(tenantId, day, isEmpty(f) ? null : f);
    }
  }

  async rollupDay(day: string): Promise<{ day: string; tenants: number }> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(startOfDay(day).getTime())) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
    const from = startOfDay(day);
    const to = nextDay(day);
    if (from.getTime() >= this.clock.now().getTime()) throw new RangeError(`day ${day} has not started yet`);
    const computedAt = this.clock.now();
    const tenants = await this.tenants.listAll();
    const rows: Array<{ tenantId: string; figures: Figures }> = [];
    for (let i = 0; i < tenants.length; i += PARALLEL) {
      const batch = tenants.slice(i, i + PARALLEL);
      const figures = await Promise.all(
        batch.map(async (t) => [...(await this.sources.buckets(t.id, from, to, 'day')).values()].reduce(addFigures, emptyFigures())),
      );
      batch.forEach((t, j) => {
        const f = figures[j];
        if (f && !isEmpty(f)) rows.push({ tenantId: t.id, figures: f });
      });
    }
    await this.daily.replaceDay(day, rows, computedAt);
    this.logger.log({ day, tenants: rows.length }, 'Daily metrics rolled up');
    return { day, tenants: rows.length };
  }
}
