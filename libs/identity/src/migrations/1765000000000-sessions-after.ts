import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Sessions issued before a user's password changed stop working (the JWT's iat is checked against this). */
export class SessionsAfter1765000000000 implements MigrationInterface {
  name = 'SessionsAfter1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN sessions_valid_after timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN sessions_valid_after`);
  }
}
