import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per tenant: the secret instant-analysis callbacks are signed with (encrypted with the secret box). */
export class CallbackSecrets1765400000900 implements MigrationInterface {
  name = 'CallbackSecrets1765400000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analyze_callback_secrets (
        tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        secret_enc text NOT NULL,
        rotated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE analyze_callback_secrets`);
  }
}
