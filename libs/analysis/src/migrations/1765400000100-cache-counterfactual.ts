import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What producing a cached result would have cost on the savings counterfactual (docs/metrics.md, "Savings"):
 * what each hit saves. Null for entries from before it was kept (a hit then saves their original cost).
 */
export class CacheCounterfactual1765400000100 implements MigrationInterface {
  name = 'CacheCounterfactual1765400000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE analysis_cache ADD COLUMN counterfactual_cost_usd numeric(20, 12) CHECK (counterfactual_cost_usd >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE analysis_cache DROP COLUMN counterfactual_cost_usd`);
  }
}
