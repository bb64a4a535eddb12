import { Inject, Injectable, Logger } from '@nestjs/common';
import { QUEUES } from '@margin/contracts';
import { BudgetService } from '@margin/cost-tracking';
import { REDIS } from '@margin/core';
import { CatalogService, CircuitBreakerService, RateLimiterService, type CircuitState } from '@margin/model-router';
import type Redis from 'ioredis';
import { MarginMetrics } from './margin-metrics';

/** Tenants on the budget gauge: the ones whose budget is most used. */
export const BUDGET_TENANTS = 20;
/** A scrape within this long of the last one reuses its figures (two Prometheus servers, a dashboard refresh). */
const REFRESH_MS = 2_000;
const CIRCUIT_STATES: CircuitState[] = ['closed', 'open', 'half-open'];

/**
 * Bull's own key layout (prefix "margin", see QueueModule): lists for wait/active/paused, sorted sets for
 * delayed/failed/completed, and the "priority" sorted set (score = Bull priority) of the prioritized waiting
 * jobs. Read directly in one pipeline so a scrape opens no Bull connection of its own.
 */
const LISTS = { waiting: 'wait', active: 'active', paused: 'paused' } as const;
const SETS = { delayed: 'delayed', failed: 'failed', completed: 'completed' } as const;
/** Bull priority ranges (BULL_PRIORITY: high 1, medium 5, low 10; a tenant's first item one step ahead). */
const PRIORITY_RANGES = [
  { priority: 'high', min: '-inf', max: '1' },
  { priority: 'medium', min: '(1', max: '5' },
  { priority: 'low', min: '(5', max: '+inf' },
] as const;

/**
 * Gauges of shared state (Bull queues in Redis, circuits and rate limits in Redis, budgets in Postgres), read
 * when Prometheus scrapes. They describe the deployment, not the process, so the API exposes them and the
 * worker does not: every API instance reports the same values (aggregate with max, not sum).
 */
@Injectable()
export class ScrapeCollectors {
  private readonly logger = new Logger(ScrapeCollectors.name);
  private last = 0;
  private running: Promise<void> | null = null;

  constructor(
    private readonly metrics: MarginMetrics,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly catalog: CatalogService,
    private readonly breaker: CircuitBreakerService,
    private readonly limiter: RateLimiterService,
    private readonly budgets: BudgetService,
  ) {}

  async refresh(now = Date.now()): Promise<void> {
    if (this.running) return this.running;
    if (now - this.last < REFRESH_MS) return;
    this.running = Promise.all([
      this.guard('queues', () => this.queues()),
      this.guard('router', () => this.router()),
      this.guard('budgets', () => this.budgetGauge()),
    ]).then(() => {
      this.last = Date.now();
    });
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  private async guard(collector: string, work: () => Promise<void>): Promise<void> {
    try {
      await Promise.race([work(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 3 s')), 3_000).unref())]);
    } catch (err) {
      this.metrics.collectErrors.inc({ collector });
      this.logger.warn(`Metrics collector ${collector} failed: ${(err as Error).message}`);
    }
  }

  async queues(): Promise<void> {
    const names = Object.values(QUEUES);
    const pipe = this.redis.pipeline();
    for (const q of names) {
      for (const key of Object.values(LISTS)) pipe.llen(`margin:${q}:${key}`);
      for (const key of Object.values(SETS)) pipe.zcard(`margin:${q}:${key}`);
      for (const r of PRIORITY_RANGES) pipe.zcount(`margin:${q}:priority`, r.min, r.max);
    }
    const replies = (await pipe.exec()) ?? [];
    const values = replies.map(([err, v]) => {
      if (err) throw err;
      return Number(v);
    });
    const g = this.metrics.queueJobs;
    g.reset();
    let i = 0;
    for (const queue of names) {
      const waiting = values[i++] ?? 0;
      const active = values[i++] ?? 0;
      const paused = values[i++] ?? 0;
      const delayed = values[i++] ?? 0;
      const failed = values[i++] ?? 0;
      const completed = values[i++] ?? 0;
      let prioritized = 0;
      for (const r of PRIORITY_RANGES) {
        const n = values[i++] ?? 0;
        prioritized += n;
        g.set({ queue, state: 'waiting', priority: r.priority }, n);
      }
      // waiting jobs added without a priority (maintenance work) are not in the priority set
      g.set({ queue, state: 'waiting', priority: 'none' }, Math.max(0, waiting - prioritized));
      g.set({ queue, state: 'active', priority: 'any' }, active);
      g.set({ queue, state: 'paused', priority: 'any' }, paused);
      g.set({ queue, state: 'delayed', priority: 'any' }, delayed);
      g.set({ queue, state: 'failed', priority: 'any' }, failed);
      g.set({ queue, state: 'completed', priority: 'any' }, completed);
    }
  }

  async router(): Promise<void> {
    const models = this.catalog.allModels().filter((m) => m.enabled);
    const [circuits, limits] = await Promise.all([
      this.breaker.snapshot(models.map((m) => m.id)),
      Promise.all(models.map((m) => this.limiter.peek(m.id, { rpm: m.rpm, tpm: m.tpm, maxConcurrency: m.maxConcurrency }))),
    ]);
    const m = this.metrics;
    m.circuitState.reset();
    m.limiterInFlight.reset();
    m.limiterWaiting.reset();
    m.limiterUtilization.reset();
    models.forEach((model, idx) => {
      const modelLabel = m.models.of(model.id);
      const provider = m.providers.of(model.providerId);
      const state = circuits[idx]?.state ?? 'closed';
      for (const s of CIRCUIT_STATES) m.circuitState.set({ provider, model: modelLabel, state: s }, s === state ? 1 : 0);
      const snap = limits[idx];
      if (!snap) return;
      m.limiterInFlight.set({ model: modelLabel }, snap.inFlight);
      m.limiterWaiting.set({ model: modelLabel }, snap.waiting);
      m.limiterUtilization.set({ model: modelLabel }, limiterUtilization(snap, model));
    });
  }

  async budgetGauge(): Promise<void> {
    const top = await this.budgets.topUtilization(BUDGET_TENANTS);
    const g = this.metrics.budgetUtilization;
    g.reset();
    for (const t of top) g.set({ tenant: t.tenantId }, t.utilization);
  }
}

/** The most used of a model's limits, 0..1 (blocked by a provider's retry-after: 1). */
export function limiterUtilization(
  snap: { requests?: number; tokens?: number; inFlight: number; blockedUntil?: number; waiting: number },
  limits: { rpm?: number | null; tpm?: number | null; maxConcurrency?: number | null },
  now = Date.now(),
): number {
  if (snap.blockedUntil !== undefined && snap.blockedUntil > now) return 1;
  const shares: number[] = [0];
  if (limits.maxConcurrency) shares.push(snap.inFlight / limits.maxConcurrency);
  if (limits.rpm && snap.requests !== undefined) shares.push(1 - snap.requests / limits.rpm);
  if (limits.tpm && snap.tokens !== undefined) shares.push(1 - snap.tokens / limits.tpm);
  if (snap.waiting > 0) shares.push(1);
  return Math.min(1, Math.max(...shares));
}
