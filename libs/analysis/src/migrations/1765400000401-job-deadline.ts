import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Jobs say when they are needed by and whether they may wait for the batch tier; tenants set the default. */
export class JobDeadline1765400000401 implements MigrationInterface {
  name = 'JobDeadline1765400000401';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN deadline timestamptz, ADD COLUMN batch_deferrable boolean`);
    await q.query(`ALTER TABLE job_settings ADD COLUMN batch_deferrable boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job_settings DROP COLUMN batch_deferrable`);
    await q.query(`ALTER TABLE jobs DROP COLUMN deadline, DROP COLUMN batch_deferrable`);
  }
}
