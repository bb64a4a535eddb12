import type { MigrationInterface, QueryRunner } from 'typeorm';

// Embedding models for /v1/embeddings, with the capability `embeddings` (and not `chat`: the router never
// sends them a chat call). Prices are the providers' list prices (USD per million input tokens; embeddings
// have no output tokens); the local model costs $0 until an operator sets a GPU-hour rate.
const SEED: Array<[id: string, provider: string, name: string, tier: string, context: number, input: string]> = [
  ['openai/text-embedding-3-small', 'openai', 'text-embedding-3-small', 'cheap', 8191, '0.02'],
  ['openai/text-embedding-3-large', 'openai', 'text-embedding-3-large', 'cheap', 8191, '0.13'],
  ['ollama/nomic-embed-text', 'ollama', 'nomic-embed-text', 'local', 8192, '0'],
];

export class EmbeddingModels1765400000300 implements MigrationInterface {
  name = 'EmbeddingModels1765400000300';

  async up(q: QueryRunner): Promise<void> {
    for (const [id, provider, name, tier, context, input] of SEED) {
      await q.query(
        `INSERT INTO models (id, provider_id, name, tier, context_window, capabilities) VALUES ($1, $2, $3, $4, $5, '{embeddings}')
         ON CONFLICT (id) DO NOTHING`,
        [id, provider, name, tier, context],
      );
      await q.query(
        `INSERT INTO model_prices (model_id, input_usd_per_mtok, cached_input_usd_per_mtok, output_usd_per_mtok, effective_from)
         VALUES ($1, $2, '0', '0', '2025-01-01T00:00:00Z') ON CONFLICT (model_id, effective_from) DO NOTHING`,
        [id, input],
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM models WHERE id = ANY($1)`, [SEED.map((s) => s[0])]);
  }
}
