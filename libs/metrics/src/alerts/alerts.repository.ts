import { Injectable } from '@nestjs/common';
import type { AlertKind, AlertRule, AlertState } from '@margin/contracts';
import { DataSource } from 'typeorm';

export interface RuleSet {
  tenantId: string;
  rules: AlertRule[];
  webhookUrl: string | null;
  webhookSecret: string | null;
  webhookFormat: 'margin' | 'slack';
}

export interface IncidentRow {
  id: string;
  tenantId: string;
  ruleId: string;
  kind: AlertKind;
  subject: string;
  state: AlertState;
  value: number;
  threshold: number;
  startedAt: Date;
  resolvedAt: Date | null;
  notifiedFiringAt: Date | null;
  notifiedResolvedAt: Date | null;
}

const INCIDENT = `id, tenant_id AS "tenantId", rule_id AS "ruleId", kind, subject, state, value, threshold, started_at AS "startedAt",
  resolved_at AS "resolvedAt", notified_firing_at AS "notifiedFiringAt", notified_resolved_at AS "notifiedResolvedAt"`;
const RULESET = `tenant_id AS "tenantId", rules, webhook_url AS "webhookUrl", webhook_secret AS "webhookSecret", webhook_format AS "webhookFormat"`;

@Injectable()
export class AlertsRepository {
  constructor(private readonly db: DataSource) {}

  async ruleSet(tenantId: string): Promise<RuleSet | null> {
    const [row] = (await this.db.query(`SELECT ${RULESET} FROM alert_rules WHERE tenant_id = $1`, [tenantId])) as RuleSet[];
    return row ?? null;
  }

  async saveRuleSet(set: RuleSet): Promise<void> {
    await this.db.query(
      `INSERT INTO alert_rules (tenant_id, rules, webhook_url, webhook_secret, webhook_format, updated_at) VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (tenant_id) DO UPDATE SET rules = EXCLUDED.rules, webhook_url = EXCLUDED.webhook_url, webhook_secret = EXCLUDED.webhook_secret,
         webhook_format = EXCLUDED.webhook_format, updated_at = now()`,
      [set.tenantId, JSON.stringify(set.rules), set.webhookUrl, set.webhookSecret, set.webhookFormat],
    );
  }

  /** Tenants with rules or with incidents still open (a system job walks them; each is then read by tenant). */
  async tenantsToEvaluate(): Promise<string[]> {
    const rows = (await this.db.query(
      `SELECT tenant_id AS "tenantId" FROM alert_rules WHERE jsonb_array_length(rules) > 0
       UNION SELECT tenant_id FROM alerts WHERE state = 'firing' OR notified_firing_at IS NULL OR (state = 'resolved' AND notified_resolved_at IS NULL)`,
    )) as Array<{ tenantId: string }>;
    return rows.map((r) => r.tenantId);
  }

  openIncidents(tenantId: string): Promise<IncidentRow[]> {
    return this.db.query(`SELECT ${INCIDENT} FROM alerts WHERE tenant_id = $1 AND state = 'firing'`, [tenantId]) as Promise<IncidentRow[]>;
  }

  /** Opens an incident unless one is open for the rule and subject already (the unique index decides between workers). */
  async open(
    tenantId: string,
    i: { ruleId: string; kind: AlertKind; subject: string; value: number; threshold: number; at: Date },
  ): Promise<IncidentRow | null> {
    const [row] = (await this.db.query(
      `INSERT INTO alerts (tenant_id, rule_id, kind, subject, state, value, threshold, started_at) VALUES ($1, $2, $3, $4, 'firing', $5, $6, $7)
       ON CONFLICT (tenant_id, rule_id, subject) WHERE state = 'firing' DO NOTHING RETURNING ${INCIDENT}`,
      [tenantId, i.ruleId, i.kind, i.subject, i.value, i.threshold, i.at],
    )) as IncidentRow[];
    return row ?? null;
  }

  /** Resolves an open incident; null when another worker resolved it first. */
  async resolve(tenantId: string, id: string, value: number, at: Date): Promise<IncidentRow | null> {
    const rows = (await this.db.query(
      `UPDATE alerts SET state = 'resolved', resolved_at = $3, value = $4 WHERE tenant_id = $1 AND id = $2 AND state = 'firing' RETURNING ${INCIDENT}`,
      [tenantId, id, at, value],
    )) as [IncidentRow[], number];
    return rows[0]?.[0] ?? null;
  }

  /** Transitions not yet notified (a failed delivery is retried on the next run). */
  pendingNotifications(tenantId: string): Promise<IncidentRow[]> {
    return this.db.query(
      `SELECT ${INCIDENT} FROM alerts WHERE tenant_id = $1 AND (notified_firing_at IS NULL OR (state = 'resolved' AND notified_resolved_at IS NULL))
       ORDER BY started_at LIMIT 100`,
      [tenantId],
    ) as Promise<IncidentRow[]>;
  }

  /** Takes the right to notify one transition (exactly one worker gets it); `release` gives it back after a failed delivery. */
  async claim(tenantId: string, id: string, state: AlertState, at: Date): Promise<boolean> {
    const column = state === 'firing' ? 'notified_firing_at' : 'notified_resolved_at';
    const rows = (await this.db.query(`UPDATE alerts SET ${column} = $3 WHERE tenant_id = $1 AND id = $2 AND ${column} IS NULL RETURNING id`, [
      tenantId,
      id,
      at,
    ])) as [unknown[], number];
    return (rows[0]?.length ?? 0) > 0;
  }

  async release(tenantId: string, id: string, state: AlertState): Promise<void> {
    const column = state === 'firing' ? 'notified_firing_at' : 'notified_resolved_at';
    await this.db.query(`UPDATE alerts SET ${column} = NULL WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  }

  list(tenantId: string, options: { state?: AlertState; limit: number }): Promise<IncidentRow[]> {
    return this.db.query(
      `SELECT ${INCIDENT} FROM alerts WHERE tenant_id = $1 AND ($2::text IS NULL OR state = $2) ORDER BY started_at DESC, id DESC LIMIT $3`,
      [tenantId, options.state ?? null, options.limit],
    ) as Promise<IncidentRow[]>;
  }
}
