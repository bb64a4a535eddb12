import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-ups waiting for their email to be confirmed (SIGNUP_CONFIRM_EMAIL): only a hash of the mailed token is
 * kept, with the password already hashed; a row lives until it is confirmed or expires.
 */
export class SignupRequests1765000000200 implements MigrationInterface {
  name = 'SignupRequests1765000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE signup_requests (
      token_hash char(64) PRIMARY KEY,
      email varchar(320) NOT NULL,
      tenant_name varchar(200) NOT NULL,
      password_hash text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX signup_requests_expires ON signup_requests (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE signup_requests`);
  }
}
