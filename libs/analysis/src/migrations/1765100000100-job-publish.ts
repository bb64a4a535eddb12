import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A `blog-post` job may carry `publish: {endpointIds, scheduledAt?}`: each finished item becomes a post that is
 * published there. Stored with the job (in the same insert, so a job never runs without the option it was
 * submitted with); the publishing module reads it when an item completes. Null: nothing to publish.
 */
export class JobPublish1765100000100 implements MigrationInterface {
  name = 'JobPublish1765100000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN publish jsonb`);
    // the catch-up sweep looks for completed items of such jobs only
    await q.query(`CREATE INDEX jobs_publish ON jobs (created_at) WHERE publish IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_publish`);
    await q.query(`ALTER TABLE jobs DROP COLUMN publish`);
  }
}
