import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CostLedger1763900000000 implements MigrationInterface {
  name = 'CostLedger1763900000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per provider attempt. attempt_id makes the write idempotent: a retried worker never books twice.
    await q.query(`
      CREATE TABLE llm_calls (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        attempt_id varchar(200) NOT NULL UNIQUE,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        api_key_id uuid,
        user_id uuid,
        job_id uuid,
        item_id uuid,
        operation varchar(50) NOT NULL,
        provider_id varchar(64) NOT NULL,
        model_id varchar(200) NOT NULL,
        input_tokens integer NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
        cached_input_tokens integer NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0),
        output_tokens integer NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
        reasoning_tokens integer NOT NULL DEFAULT 0 CHECK (reasoning_tokens >= 0),
        cost_usd numeric(20, 12) NOT NULL DEFAULT 0,
        premium_model_id varchar(200),
        premium_cost_usd numeric(20, 12),
        latency_ms integer NOT NULL DEFAULT 0,
        outcome varchar(32) NOT NULL,
        error_message text,
        quality numeric(5, 2),
        routing_reason text,
        fallback_from varchar(200),
        emulated boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX llm_calls_tenant_time ON llm_calls (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX llm_calls_job ON llm_calls (job_id) WHERE job_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE budgets (
        tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        monthly_limit_usd numeric(20, 6) CHECK (monthly_limit_usd >= 0),
        alert_thresholds numeric(5, 4)[] NOT NULL DEFAULT '{0.5,0.8,1}',
        hard_stop boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE budget_alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        period date NOT NULL,
        threshold numeric(5, 4) NOT NULL,
        spent_usd numeric(20, 12) NOT NULL,
        limit_usd numeric(20, 6) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, period, threshold)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE budget_alerts`);
    await q.query(`DROP TABLE budgets`);
    await q.query(`DROP TABLE llm_calls`);
  }
}
