import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Analysis1764000000000 implements MigrationInterface {
  name = 'Analysis1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE plans (
        key varchar(20) PRIMARY KEY CHECK (key IN ('free', 'pro', 'unlimited')),
        max_jobs_per_month integer CHECK (max_jobs_per_month >= 0),
        max_items_per_month integer CHECK (max_items_per_month >= 0),
        max_items_per_job integer CHECK (max_items_per_job >= 0),
        allowed_tiers text[] NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO plans VALUES
      ('free', 1, 50, 50, '{local}', now()),
      ('pro', NULL, 250, NULL, '{local,cheap,standard,premium}', now()),
      ('unlimited', NULL, NULL, NULL, '{local,cheap,standard,premium}', now())`);
    await q.query(`
      CREATE TABLE priority_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        position integer NOT NULL,
        pattern varchar(200) NOT NULL,
        priority varchar(10) NOT NULL CHECK (priority IN ('high', 'medium', 'low'))
      )`);
    await q.query(`INSERT INTO priority_rules (position, pattern, priority) VALUES
      (1, '\\m(liked|favou?rites?|worship|daily)\\M', 'high'),
      (2, '\\m(archive|backfill|bulk|import)\\M', 'low')`);
    await q.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        profile_key varchar(100) NOT NULL,
        profile_version integer NOT NULL,
        name varchar(200),
        status varchar(24) NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'completed_with_errors', 'failed', 'cancelled')),
        priority varchar(10) NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
        budget_usd numeric(20, 6) CHECK (budget_usd >= 0),
        total_items integer NOT NULL CHECK (total_items > 0),
        completed_items integer NOT NULL DEFAULT 0,
        failed_items integer NOT NULL DEFAULT 0,
        cached_items integer NOT NULL DEFAULT 0,
        cancelled_items integer NOT NULL DEFAULT 0,
        cost_usd numeric(20, 12) NOT NULL DEFAULT 0,
        saved_usd numeric(20, 12) NOT NULL DEFAULT 0,
        metadata jsonb,
        idempotency_key varchar(200),
        request_hash char(64),
        created_by_user_id uuid,
        created_by_api_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        CHECK (completed_items + failed_items + cancelled_items <= total_items)
      )`);
    await q.query(`CREATE INDEX jobs_tenant_created ON jobs (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE UNIQUE INDEX jobs_idempotency ON jobs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`
      CREATE TABLE job_items (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        job_id uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL,
        index integer NOT NULL,
        input jsonb NOT NULL,
        input_hash char(64) NOT NULL,
        status varchar(12) NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        attempts integer NOT NULL DEFAULT 0,
        error text,
        result jsonb,
        cached boolean NOT NULL DEFAULT false,
        cost_usd numeric(20, 12) NOT NULL DEFAULT 0,
        saved_usd numeric(20, 12) NOT NULL DEFAULT 0,
        model varchar(200),
        started_at timestamptz,
        finished_at timestamptz,
        UNIQUE (job_id, index)
      )`);
    await q.query(`CREATE INDEX job_items_job_status ON job_items (job_id, status, index)`);
    await q.query(`
      CREATE TABLE analysis_cache (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        profile_key varchar(100) NOT NULL,
        profile_version integer NOT NULL,
        scope varchar(60) NOT NULL,
        input_hash char(64) NOT NULL,
        output jsonb NOT NULL,
        quality numeric(6, 2),
        model varchar(200),
        provider varchar(64),
        hit_count integer NOT NULL DEFAULT 0,
        original_cost_usd numeric(20, 12) NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_hit_at timestamptz,
        UNIQUE (profile_key, profile_version, scope, input_hash)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE analysis_cache`);
    await q.query(`DROP TABLE job_items`);
    await q.query(`DROP TABLE jobs`);
    await q.query(`DROP TABLE priority_rules`);
    await q.query(`DROP TABLE plans`);
  }
}
