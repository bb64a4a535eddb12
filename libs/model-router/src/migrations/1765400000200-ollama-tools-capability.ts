import type { MigrationInterface, QueryRunner } from 'typeorm';

// The seeded Ollama models all call tools (Ollama's `tools` field): the router now skips models without the
// `tools` capability for calls that need tools, so the catalog has to say so.
const TOOL_MODELS = ['ollama/qwen3:8b', 'ollama/llama3.1:8b', 'ollama/mistral:7b'];

export class OllamaToolsCapability1765400000200 implements MigrationInterface {
  name = 'OllamaToolsCapability1765400000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE models SET capabilities = array_append(capabilities, 'tools') WHERE id = ANY($1) AND NOT ('tools' = ANY(capabilities))`, [
      TOOL_MODELS,
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE models SET capabilities = array_remove(capabilities, 'tools') WHERE id = ANY($1)`, [TOOL_MODELS]);
  }
}
