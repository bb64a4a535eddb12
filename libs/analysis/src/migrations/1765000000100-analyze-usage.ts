import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Items analysed on demand (POST /analyze), per tenant and month: they count against the plan like job items. */
export class AnalyzeUsage1765000000100 implements MigrationInterface {
  name = 'AnalyzeUsage1765000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analyze_usage (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        period_start timestamptz NOT NULL,
        items integer NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, period_start)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE analyze_usage`);
  }
}
