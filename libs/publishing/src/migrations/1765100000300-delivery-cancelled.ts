import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `cancelled`: a scheduled delivery taken back before it went out (POST /deliveries/:id/unschedule). */
export class DeliveryCancelled1765100000300 implements MigrationInterface {
  name = 'DeliveryCancelled1765100000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check`);
    await q.query(
      `ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check CHECK (status IN ('pending', 'scheduled', 'publishing', 'published', 'failed', 'cancelled'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE deliveries SET status = 'failed', last_error = 'unscheduled' WHERE status = 'cancelled'`);
    await q.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check`);
    await q.query(
      `ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check CHECK (status IN ('pending', 'scheduled', 'publishing', 'published', 'failed'))`,
    );
  }
}
