import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Items enter the queue a window at a time (see JobFeeder): `enqueued` marks those handed to it. */
export class Feeding1764000000300 implements MigrationInterface {
  name = 'Feeding1764000000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job_items ADD COLUMN enqueued boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX job_items_to_enqueue ON job_items (job_id, index) WHERE NOT enqueued AND status = 'queued'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX job_items_to_enqueue`);
    await q.query(`ALTER TABLE job_items DROP COLUMN enqueued`);
  }
}
