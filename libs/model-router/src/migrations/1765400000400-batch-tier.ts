import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The batch tier: batch prices beside the live ones (same effective dates; null = the model has no batch tier),
 * each model's enqueued-token limit for batches, and the provider batches with their requests (one row per
 * item call, keyed so that a poller restarted mid-way books nothing twice).
 */
export class BatchTier1765400000400 implements MigrationInterface {
  name = 'BatchTier1765400000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE model_prices
      ADD COLUMN batch_input_usd_per_mtok numeric(14, 6) CHECK (batch_input_usd_per_mtok >= 0),
      ADD COLUMN batch_cached_input_usd_per_mtok numeric(14, 6) CHECK (batch_cached_input_usd_per_mtok >= 0),
      ADD COLUMN batch_output_usd_per_mtok numeric(14, 6) CHECK (batch_output_usd_per_mtok >= 0)`);
    // OpenAI's Batch API and Anthropic's Message Batches bill 50% of the live price
    await q.query(`UPDATE model_prices p SET
        batch_input_usd_per_mtok = p.input_usd_per_mtok / 2,
        batch_cached_input_usd_per_mtok = p.cached_input_usd_per_mtok / 2,
        batch_output_usd_per_mtok = p.output_usd_per_mtok / 2
      FROM models m WHERE m.id = p.model_id AND m.provider_id IN ('openai', 'anthropic')`);
    // OpenAI's Tier-1 batch queue limits (enqueued tokens per model); null: no limit known
    await q.query(`ALTER TABLE models ADD COLUMN batch_queue_tokens integer CHECK (batch_queue_tokens > 0)`);
    await q.query(`UPDATE models SET batch_queue_tokens = CASE id
        WHEN 'openai/gpt-4o-mini' THEN 2000000 WHEN 'openai/gpt-4.1-mini' THEN 2000000 WHEN 'openai/gpt-4o' THEN 90000 ELSE NULL END`);
    await q.query(`
      CREATE TABLE llm_batches (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider_id varchar(64) NOT NULL,
        model_id varchar(200) NOT NULL,
        state varchar(16) NOT NULL CHECK (state IN ('submitting', 'submitted', 'ended', 'failed')),
        remote_id varchar(200) UNIQUE,
        remote_status varchar(32),
        request_count integer NOT NULL,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        submitted_at timestamptz,
        ended_at timestamptz,
        next_poll_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX llm_batches_open ON llm_batches (next_poll_at) WHERE state IN ('submitting', 'submitted')`);
    await q.query(`
      CREATE TABLE llm_batch_requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        call_key varchar(400) NOT NULL UNIQUE,
        tenant_id uuid NOT NULL,
        api_key_id uuid,
        user_id uuid,
        job_id uuid,
        item_id uuid,
        operation varchar(50) NOT NULL,
        complexity varchar(10),
        provider_id varchar(64) NOT NULL,
        model_id varchar(200) NOT NULL,
        request jsonb NOT NULL,
        estimated_tokens integer NOT NULL,
        state varchar(16) NOT NULL CHECK (state IN ('queued', 'submitted', 'succeeded', 'failed')),
        batch_id uuid REFERENCES llm_batches(id) ON DELETE SET NULL,
        result jsonb,
        cost_usd numeric(20, 12),
        outcome varchar(32),
        error text,
        retryable boolean,
        rounds integer NOT NULL DEFAULT 0,
        deadline timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX llm_batch_requests_queued ON llm_batch_requests (model_id, created_at) WHERE state = 'queued'`);
    await q.query(`CREATE INDEX llm_batch_requests_batch ON llm_batch_requests (batch_id)`);
    await q.query(`CREATE INDEX llm_batch_requests_tenant ON llm_batch_requests (tenant_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE llm_batch_requests`);
    await q.query(`DROP TABLE llm_batches`);
    await q.query(`ALTER TABLE models DROP COLUMN batch_queue_tokens`);
    await q.query(
      `ALTER TABLE model_prices DROP COLUMN batch_input_usd_per_mtok, DROP COLUMN batch_cached_input_usd_per_mtok, DROP COLUMN batch_output_usd_per_mtok`,
    );
  }
}
