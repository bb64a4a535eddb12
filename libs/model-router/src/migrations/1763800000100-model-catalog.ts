import type { MigrationInterface, QueryRunner } from 'typeorm';

// The seeded catalog. Cloud prices are the providers' list prices (USD per million tokens) in force from
// 2025-01-01; local models cost $0 until an operator sets a GPU-hour rate.
const SEED: Array<[id: string, provider: string, name: string, tier: string, context: number, caps: string[], input: string, cached: string, output: string]> =
  [
    ['ollama/qwen3:8b', 'ollama', 'qwen3:8b', 'local', 40960, ['chat', 'json', 'streaming'], '0', '0', '0'],
    ['ollama/llama3.1:8b', 'ollama', 'llama3.1:8b', 'local', 131072, ['chat', 'json', 'streaming'], '0', '0', '0'],
    ['ollama/mistral:7b', 'ollama', 'mistral:7b', 'local', 32768, ['chat', 'json', 'streaming'], '0', '0', '0'],
    ['openai/gpt-4o-mini', 'openai', 'gpt-4o-mini', 'cheap', 128000, ['chat', 'json', 'streaming', 'tools', 'vision'], '0.15', '0.075', '0.6'],
    ['openai/gpt-4.1-mini', 'openai', 'gpt-4.1-mini', 'cheap', 1047576, ['chat', 'json', 'streaming', 'tools', 'vision'], '0.4', '0.1', '1.6'],
    ['openai/gpt-4o', 'openai', 'gpt-4o', 'premium', 128000, ['chat', 'json', 'streaming', 'tools', 'vision'], '2.5', '1.25', '10'],
    ['anthropic/claude-haiku-4-5', 'anthropic', 'claude-haiku-4-5', 'standard', 200000, ['chat', 'json', 'streaming', 'tools', 'vision'], '1', '0.1', '5'],
    ['anthropic/claude-sonnet-4-5', 'anthropic', 'claude-sonnet-4-5', 'premium', 200000, ['chat', 'json', 'streaming', 'tools', 'vision'], '3', '0.3', '15'],
  ];

export class ModelCatalog1763800000100 implements MigrationInterface {
  name = 'ModelCatalog1763800000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE models (
        id varchar(200) PRIMARY KEY,
        provider_id varchar(64) NOT NULL,
        name varchar(150) NOT NULL,
        tier varchar(16) NOT NULL CHECK (tier IN ('local', 'cheap', 'standard', 'premium')),
        context_window integer NOT NULL CHECK (context_window > 0),
        capabilities text[] NOT NULL DEFAULT '{}',
        enabled boolean NOT NULL DEFAULT true,
        gpu_usd_per_hour numeric(14, 6) CHECK (gpu_usd_per_hour >= 0),
        parallel_slots integer NOT NULL DEFAULT 1 CHECK (parallel_slots > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (provider_id, name)
      )`);
    await q.query(`
      CREATE TABLE model_prices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        model_id varchar(200) NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        input_usd_per_mtok numeric(14, 6) NOT NULL CHECK (input_usd_per_mtok >= 0),
        cached_input_usd_per_mtok numeric(14, 6) NOT NULL CHECK (cached_input_usd_per_mtok >= 0),
        output_usd_per_mtok numeric(14, 6) NOT NULL CHECK (output_usd_per_mtok >= 0),
        effective_from timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (model_id, effective_from)
      )`);
    for (const [id, provider, name, tier, context, caps, input, cached, output] of SEED) {
      await q.query(`INSERT INTO models (id, provider_id, name, tier, context_window, capabilities) VALUES ($1, $2, $3, $4, $5, $6)`, [
        id,
        provider,
        name,
        tier,
        context,
        caps,
      ]);
      await q.query(
        `INSERT INTO model_prices (model_id, input_usd_per_mtok, cached_input_usd_per_mtok, output_usd_per_mtok, effective_from)
         VALUES ($1, $2, $3, $4, '2025-01-01T00:00:00Z')`,
        [id, input, cached, output],
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE model_prices`);
    await q.query(`DROP TABLE models`);
  }
}
