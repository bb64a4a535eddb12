import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An operation's (and a model's) recent calls of a tenant, for the estimates' rolling figures (LedgerUsageStatsRepository). */
export class LedgerStatsIndex1765400000930 implements MigrationInterface {
  name = 'LedgerStatsIndex1765400000930';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX llm_calls_tenant_operation_time ON llm_calls (tenant_id, operation, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX llm_calls_tenant_operation_time`);
  }
}
