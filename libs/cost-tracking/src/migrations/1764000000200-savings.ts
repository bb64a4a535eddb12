import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the cache avoided: one row per item served from cache, priced at what it originally cost. */
export class Savings1764000000200 implements MigrationInterface {
  name = 'Savings1764000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cost_savings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        key varchar(200) NOT NULL UNIQUE,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        job_id uuid,
        item_id uuid,
        kind varchar(16) NOT NULL CHECK (kind IN ('cache')),
        amount_usd numeric(20, 12) NOT NULL CHECK (amount_usd >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX cost_savings_tenant_time ON cost_savings (tenant_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE cost_savings`);
  }
}
