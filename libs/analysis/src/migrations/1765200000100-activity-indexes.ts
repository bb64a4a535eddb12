import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Activity over time (the metrics' KPIs and roll-ups) reads items and jobs by tenant and finish time. */
export class ActivityIndexes1765200000100 implements MigrationInterface {
  name = 'ActivityIndexes1765200000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX job_items_tenant_finished ON job_items (tenant_id, finished_at) WHERE finished_at IS NOT NULL`);
    await q.query(`CREATE INDEX jobs_tenant_finished ON jobs (tenant_id, finished_at) WHERE finished_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX job_items_tenant_finished`);
    await q.query(`DROP INDEX jobs_tenant_finished`);
  }
}
