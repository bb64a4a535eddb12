import type { MigrationInterface, QueryRunner } from 'typeorm';

const LOCAL = ['ollama/qwen3:8b', 'ollama/llama3.1:8b', 'openai/gpt-4o-mini'];
const CHEAP = ['openai/gpt-4o-mini', 'openai/gpt-4.1-mini', 'ollama/qwen3:8b'];
const STANDARD = ['anthropic/claude-haiku-4-5', 'openai/gpt-4.1-mini', 'openai/gpt-4o-mini'];
const PREMIUM = ['anthropic/claude-sonnet-4-5', 'openai/gpt-4o', 'anthropic/claude-haiku-4-5'];

// Operation × complexity (simple, medium, complex) → candidates, per the product's default matrix.
const MATRIX: Record<string, [string[], string[], string[]]> = {
  research: [LOCAL, LOCAL, PREMIUM],
  outline: [LOCAL, LOCAL, PREMIUM],
  analyze: [LOCAL, LOCAL, PREMIUM],
  draft: [LOCAL, CHEAP, PREMIUM],
  assess: [LOCAL, STANDARD, PREMIUM],
  refine: [LOCAL, STANDARD, PREMIUM],
  chat: [LOCAL, CHEAP, PREMIUM],
};

// Local model defaults follow OLLAMA_NUM_PARALLEL-like capacity; cloud defaults are conservative tier-1 limits.
const LIMITS: Array<[string, number | null, number | null, number | null]> = [
  ['ollama/qwen3:8b', null, null, 4],
  ['ollama/llama3.1:8b', null, null, 4],
  ['ollama/mistral:7b', null, null, 4],
  ['openai/gpt-4o-mini', 500, 200000, 50],
  ['openai/gpt-4.1-mini', 500, 200000, 50],
  ['openai/gpt-4o', 500, 30000, 20],
  ['anthropic/claude-haiku-4-5', 50, 50000, 20],
  ['anthropic/claude-sonnet-4-5', 50, 30000, 20],
];

export class Routing1763900000100 implements MigrationInterface {
  name = 'Routing1763900000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE models ADD COLUMN rpm integer CHECK (rpm > 0), ADD COLUMN tpm integer CHECK (tpm > 0), ADD COLUMN max_concurrency integer CHECK (max_concurrency > 0)`,
    );
    for (const [id, rpm, tpm, conc] of LIMITS) {
      await q.query(`UPDATE models SET rpm = $2, tpm = $3, max_concurrency = $4 WHERE id = $1`, [id, rpm, tpm, conc]);
    }
    await q.query(`
      CREATE TABLE routing_policies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        operation varchar(50) NOT NULL,
        complexity varchar(10) NOT NULL CHECK (complexity IN ('simple', 'medium', 'complex')),
        candidates text[] NOT NULL CHECK (cardinality(candidates) > 0),
        ab_challenger varchar(200),
        ab_share numeric(4, 3) CHECK (ab_share >= 0 AND ab_share <= 1),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX routing_policies_global ON routing_policies (operation, complexity) WHERE tenant_id IS NULL`);
    await q.query(`CREATE UNIQUE INDEX routing_policies_tenant ON routing_policies (tenant_id, operation, complexity) WHERE tenant_id IS NOT NULL`);
    for (const [operation, cells] of Object.entries(MATRIX)) {
      const complexities = ['simple', 'medium', 'complex'];
      for (let i = 0; i < 3; i++) {
        await q.query(`INSERT INTO routing_policies (tenant_id, operation, complexity, candidates) VALUES (NULL, $1, $2, $3)`, [
          operation,
          complexities[i],
          cells[i],
        ]);
      }
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE routing_policies`);
    await q.query(`ALTER TABLE models DROP COLUMN rpm, DROP COLUMN tpm, DROP COLUMN max_concurrency`);
  }
}
