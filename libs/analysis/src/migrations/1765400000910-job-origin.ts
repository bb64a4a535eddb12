import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where a job came from: `submit` (POST /jobs, counted against the plan's monthly jobs and items) or `instant`
 * (the queued full analysis behind an instant POST /analyze, whose item was counted as an on-demand item).
 */
export class JobOrigin1765400000910 implements MigrationInterface {
  name = 'JobOrigin1765400000910';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN origin varchar(10) NOT NULL DEFAULT 'submit' CHECK (origin IN ('submit', 'instant'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN origin`);
  }
}
