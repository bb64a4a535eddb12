import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The metrics module's tables: daily roll-ups per tenant (with a marker per rolled-up day, so a missing row
 * means "nothing happened", not "not computed"), revenue entries (idempotent per source and external id, e.g.
 * a Stripe event id), alert rules and the alerts they raised.
 */
export class Metrics1765200000200 implements MigrationInterface {
  name = 'Metrics1765200000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE daily_metrics (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        day date NOT NULL,
        jobs_created integer NOT NULL DEFAULT 0,
        jobs_completed integer NOT NULL DEFAULT 0,
        items_completed integer NOT NULL DEFAULT 0,
        items_failed integer NOT NULL DEFAULT 0,
        items_cached integer NOT NULL DEFAULT 0,
        llm_calls integer NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        cost_usd numeric(20, 12) NOT NULL DEFAULT 0,
        saved_usd numeric(20, 12) NOT NULL DEFAULT 0,
        revenue_usd numeric(20, 12) NOT NULL DEFAULT 0,
        quality_sum numeric(20, 4) NOT NULL DEFAULT 0,
        quality_count integer NOT NULL DEFAULT 0,
        computed_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, day)
      )`);
    await q.query(`CREATE TABLE daily_rollups (day date PRIMARY KEY, computed_at timestamptz NOT NULL, tenants integer NOT NULL)`);
    await q.query(`
      CREATE TABLE revenue_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        amount_usd numeric(20, 12) NOT NULL CHECK (amount_usd <> 0),
        occurred_at timestamptz NOT NULL,
        source varchar(64) NOT NULL,
        post_id uuid,
        job_id uuid,
        note text,
        external_id varchar(255),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX revenue_entries_tenant_time ON revenue_entries (tenant_id, occurred_at)`);
    await q.query(`CREATE UNIQUE INDEX revenue_entries_external ON revenue_entries (tenant_id, source, external_id) WHERE external_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE alert_rules (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        rules jsonb NOT NULL,
        webhook_url text,
        -- SecretBox ciphertext, never returned
        webhook_secret text,
        webhook_format varchar(8) NOT NULL DEFAULT 'margin' CHECK (webhook_format IN ('margin', 'slack')),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id)
      )`);
    await q.query(`
      CREATE TABLE alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        rule_id varchar(64) NOT NULL,
        kind varchar(32) NOT NULL,
        subject varchar(200) NOT NULL DEFAULT '',
        state varchar(16) NOT NULL CHECK (state IN ('firing', 'resolved')),
        value double precision NOT NULL,
        threshold double precision NOT NULL,
        started_at timestamptz NOT NULL,
        resolved_at timestamptz,
        notified_firing_at timestamptz,
        notified_resolved_at timestamptz
      )`);
    // one open incident per rule and subject: the evaluator cannot open a second one for the same problem
    await q.query(`CREATE UNIQUE INDEX alerts_one_open ON alerts (tenant_id, rule_id, subject) WHERE state = 'firing'`);
    await q.query(`CREATE INDEX alerts_tenant_time ON alerts (tenant_id, started_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE alerts`);
    await q.query(`DROP TABLE alert_rules`);
    await q.query(`DROP TABLE revenue_entries`);
    await q.query(`DROP TABLE daily_rollups`);
    await q.query(`DROP TABLE daily_metrics`);
  }
}
