import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Providers1763800000000 implements MigrationInterface {
  name = 'Providers1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE providers (
        id varchar(64) PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]*$'),
        kind varchar(16) NOT NULL CHECK (kind IN ('ollama', 'openai', 'anthropic')),
        name varchar(100) NOT NULL,
        base_url text NOT NULL,
        api_key_encrypted text,
        enabled boolean NOT NULL DEFAULT true,
        managed_by varchar(8) NOT NULL CHECK (managed_by IN ('env', 'admin')),
        options jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE providers`);
  }
}
