import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Request plans (POST /plans: a request turned into steps, models, cost and time before anything runs), and the
 * per-step models a job runs with when its plan pinned them.
 */
export class RequestPlans1765400000920 implements MigrationInterface {
  name = 'RequestPlans1765400000920';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN step_models jsonb`);
    await q.query(`
      CREATE TABLE request_plans (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        status varchar(20) NOT NULL CHECK (status IN ('needs_input', 'proposed', 'approved', 'completed', 'failed', 'cancelled')),
        sentence text,
        intake jsonb NOT NULL,
        questions jsonb NOT NULL DEFAULT '[]',
        profile_key varchar(100),
        profile_version integer,
        items jsonb NOT NULL DEFAULT '[]',
        step_models jsonb NOT NULL DEFAULT '{}',
        endpoint_ids uuid[] NOT NULL DEFAULT '{}',
        budget_usd numeric(20, 6),
        deadline timestamptz,
        estimate jsonb NOT NULL,
        cost_usd numeric(20, 12) NOT NULL DEFAULT 0,
        seconds integer NOT NULL DEFAULT 0,
        job_id uuid,
        actual_cost_usd numeric(20, 12),
        actual_seconds integer,
        created_by_user_id uuid,
        created_by_api_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        approved_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX request_plans_tenant_time ON request_plans (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE UNIQUE INDEX request_plans_job ON request_plans (job_id) WHERE job_id IS NOT NULL`);
    // The intake operation reads a request sentence: local models first at every complexity (cheap, private).
    const cells: Array<[string, string[]]> = [
      ['simple', ['ollama/qwen3:8b', 'ollama/llama3.1:8b', 'openai/gpt-4o-mini']],
      ['medium', ['ollama/qwen3:8b', 'ollama/llama3.1:8b', 'openai/gpt-4o-mini']],
      ['complex', ['ollama/qwen3:8b', 'openai/gpt-4o-mini', 'openai/gpt-4.1-mini']],
    ];
    for (const [complexity, candidates] of cells) {
      await q.query(
        `INSERT INTO routing_policies (tenant_id, operation, complexity, candidates) SELECT NULL, 'intake', $1::varchar, $2::text[]
          WHERE NOT EXISTS (SELECT 1 FROM routing_policies WHERE tenant_id IS NULL AND operation = 'intake' AND complexity = $1::varchar)`,
        [complexity, candidates],
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM routing_policies WHERE tenant_id IS NULL AND operation = 'intake'`);
    await q.query(`DROP TABLE request_plans`);
    await q.query(`ALTER TABLE jobs DROP COLUMN step_models`);
  }
}
