import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Items wait out provider outages instead of failing (see ItemRunner): a job's patience and what it waits
 * for, each item's waits (not attempts) and since when, and each tenant's default patience.
 */
export class Waiting1764000000510 implements MigrationInterface {
  name = 'Waiting1764000000510';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN max_wait_seconds integer, ADD COLUMN waiting_reason text, ADD COLUMN waiting_until timestamptz`);
    await q.query(`ALTER TABLE job_items ADD COLUMN waits integer NOT NULL DEFAULT 0, ADD COLUMN waiting_since timestamptz`);
    await q.query(`CREATE TABLE job_settings (
      tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
      max_wait_seconds integer NOT NULL CHECK (max_wait_seconds > 0),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE job_settings`);
    await q.query(`ALTER TABLE job_items DROP COLUMN waits, DROP COLUMN waiting_since`);
    await q.query(`ALTER TABLE jobs DROP COLUMN max_wait_seconds, DROP COLUMN waiting_reason, DROP COLUMN waiting_until`);
  }
}
