import { Inject, Injectable, Logger } from '@nestjs/common';
import { QUEUES, type AlertRule, type AlertView } from '@margin/contracts';
import { JobActivityService } from '@margin/analysis';
import { LedgerService } from '@margin/cost-tracking';
import { AppConfig, Clock, REDIS, SecretBox } from '@margin/core';
import { TenantRepository } from '@margin/identity';
import { CatalogService, CircuitBreakerService, RateLimiterService } from '@margin/model-router';
import type Redis from 'ioredis';
import { limiterUtilization } from '../prometheus/scrape-collectors';
import { AlertNotifier, type WebhookTarget } from './alert-notifier';
import { evaluateRule, FIRST_RESULT_WINDOW_MINUTES, incidentKey, transitions, type Snapshot } from './alert-rules';
import { AlertsRepository, type IncidentRow, type RuleSet } from './alerts.repository';

export const toAlertView = (r: IncidentRow): AlertView => ({
  id: r.id,
  rule: r.ruleId,
  kind: r.kind,
  state: r.state,
  value: r.value,
  threshold: r.threshold,
  subject: r.subject,
  startedAt: r.startedAt.toISOString(),
  resolvedAt: r.resolvedAt ? r.resolvedAt.toISOString() : null,
});

/**
 * Evaluates every tenant's rules (the worker's repeatable job), opens and resolves incidents, and notifies each
 * transition once: the socket event by the worker whose insert or update made the transition, the webhook by
 * the worker that claims it (a failed delivery is given back and retried on the next run).
 */
@Injectable()
export class AlertEvaluator {
  private readonly logger = new Logger(AlertEvaluator.name);

  constructor(
    private readonly repo: AlertsRepository,
    private readonly notifier: AlertNotifier,
    private readonly activity: JobActivityService,
    private readonly ledger: LedgerService,
    private readonly catalog: CatalogService,
    private readonly breaker: CircuitBreakerService,
    private readonly limiter: RateLimiterService,
    private readonly tenants: TenantRepository,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async evaluateAll(): Promise<{ tenants: number; fired: number; resolved: number; changed: boolean }> {
    const tenantIds = await this.repo.tenantsToEvaluate();
    if (tenantIds.length === 0) return { tenants: 0, fired: 0, resolved: 0, changed: false };
    const shared = await this.sharedSnapshot();
    let fired = 0;
    let resolved = 0;
    for (const tenantId of tenantIds) {
      try {
        const r = await this.evaluateTenant(tenantId, shared);
        fired += r.fired;
        resolved += r.resolved;
      } catch (err) {
        this.logger.warn({ tenantId }, `Alert evaluation failed: ${(err as Error).message}`);
      }
    }
    return { tenants: tenantIds.length, fired, resolved, changed: fired + resolved > 0 };
  }

  async evaluateTenant(tenantId: string, shared?: Pick<Snapshot, 'queueDepth' | 'models'>): Promise<{ fired: number; resolved: number }> {
    const now = this.clock.now();
    const set = await this.repo.ruleSet(tenantId);
    const rules = (set?.rules ?? []).filter((r) => r.enabled);
    const snapshot = await this.tenantSnapshot(tenantId, rules, shared ?? (await this.sharedSnapshot()));
    const observed = rules.flatMap((rule) => evaluateRule(rule, snapshot).map((observation) => ({ rule, observation })));
    const openRows = await this.repo.openIncidents(tenantId);
    const open = new Map(openRows.map((r) => [incidentKey(r.ruleId, r.subject), r]));
    const t = transitions(open, observed);
    let fired = 0;
    let resolved = 0;
    for (const { rule, observation } of t.fire) {
      const row = await this.repo.open(tenantId, {
        ruleId: rule.id,
        kind: rule.kind,
        subject: observation.subject,
        value: observation.value,
        threshold: rule.threshold,
        at: now,
      });
      if (!row) continue; // another worker opened it
      fired++;
      await this.notifier.socket(tenantId, { rule: rule.id, state: 'firing', value: observation.value, subject: observation.subject });
    }
    for (const { key, value } of t.resolve) {
      const incident = open.get(key);
      if (!incident) continue;
      const row = await this.repo.resolve(tenantId, incident.id, value, now);
      if (!row) continue;
      resolved++;
      await this.notifier.socket(tenantId, { rule: row.ruleId, state: 'resolved', value, subject: row.subject });
    }
    await this.deliver(tenantId, set);
    return { fired, resolved };
  }

  /** Sends the webhook for every transition not notified yet, firing before resolved, each once. */
  private async deliver(tenantId: string, set: RuleSet | null): Promise<void> {
    const pending = await this.repo.pendingNotifications(tenantId);
    if (pending.length === 0) return;
    const target = await this.target(tenantId, set);
    const now = this.clock.now();
    for (const row of pending) {
      for (const state of ['firing', 'resolved'] as const) {
        const done = state === 'firing' ? row.notifiedFiringAt !== null : row.state !== 'resolved' || row.notifiedResolvedAt !== null;
        if (done) continue;
        if (!(await this.repo.claim(tenantId, row.id, state, now))) continue;
        if (!target) continue; // nowhere to send it: the feed and GET /alerts have it
        const view = toAlertView(row);
        const ok = await this.notifier.webhook(target, state === 'firing' ? { ...view, state: 'firing', resolvedAt: null } : view, now);
        if (!ok) {
          await this.repo.release(tenantId, row.id, state);
          return; // keep the order: a resolved is never delivered before its firing
        }
      }
    }
  }

  /** The tenant's webhook; for the operator's tenant without one, ALERT_WEBHOOK_URL. */
  private async target(tenantId: string, set: RuleSet | null): Promise<WebhookTarget | null> {
    if (set?.webhookUrl)
      return { url: set.webhookUrl, secret: set.webhookSecret ? this.secrets.decrypt(set.webhookSecret) : undefined, format: set.webhookFormat };
    const env = this.config.alertWebhook;
    if (!env) return null;
    const operator = await this.tenants.findOperator();
    return operator?.id === tenantId ? env : null;
  }

  private async sharedSnapshot(): Promise<Pick<Snapshot, 'queueDepth' | 'models'>> {
    const names = Object.values(QUEUES);
    const pipe = this.redis.pipeline();
    for (const q of names) pipe.llen(`margin:${q}:wait`).zcard(`margin:${q}:delayed`);
    const replies = (await pipe.exec()) ?? [];
    const queueDepth: Record<string, number> = {};
    names.forEach((q, i) => (queueDepth[q] = Number(replies[2 * i]?.[1] ?? 0) + Number(replies[2 * i + 1]?.[1] ?? 0)));
    const models = this.catalog.allModels().filter((m) => m.enabled);
    const [circuits, limits] = await Promise.all([
      this.breaker.snapshot(models.map((m) => m.id)),
      Promise.all(models.map((m) => this.limiter.peek(m.id, { rpm: m.rpm, tpm: m.tpm, maxConcurrency: m.maxConcurrency }))),
    ]);
    return {
      queueDepth,
      models: models.map((m, i) => ({
        id: m.id,
        circuit: circuits[i]?.state ?? 'closed',
        utilization: limits[i] ? limiterUtilization(limits[i], m) : 0,
      })),
    };
  }

  private async tenantSnapshot(tenantId: string, rules: AlertRule[], shared: Pick<Snapshot, 'queueDepth' | 'models'>): Promise<Snapshot> {
    const now = this.clock.now();
    const windows = new Map<number, { failed: number; finished: number }>();
    for (const w of new Set(rules.filter((r) => r.kind === 'failure_rate').map((r) => r.windowMinutes ?? 15))) {
      const t = await this.activity.totals(tenantId, new Date(now.getTime() - w * 60_000), new Date(now.getTime() + 1));
      windows.set(w, { failed: t.itemsFailed, finished: t.itemsFailed + t.itemsCompleted });
    }
    const latencies = new Map<number, { jobs: number; worstSeconds: number }>();
    for (const w of new Set(rules.filter((r) => r.kind === 'first_result_latency').map((r) => r.windowMinutes ?? FIRST_RESULT_WINDOW_MINUTES))) {
      latencies.set(w, await this.activity.firstResultLatency(tenantId, new Date(now.getTime() - w * 60_000), now));
    }
    let spentTodayUsd = 0;
    if (rules.some((r) => r.kind === 'daily_spend')) {
      const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
      spentTodayUsd = (await this.ledger.summary(tenantId, { from: day, to: new Date(now.getTime() + 1) })).totalUsd;
    }
    return {
      ...shared,
      failures: (w) => windows.get(w) ?? { failed: 0, finished: 0 },
      spentTodayUsd,
      firstResults: (w) => latencies.get(w) ?? { jobs: 0, worstSeconds: 0 },
    };
  }
}
