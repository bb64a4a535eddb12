import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdentitySchema1763700000000 implements MigrationInterface {
  name = 'IdentitySchema1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(120) NOT NULL,
        plan varchar(20) NOT NULL CHECK (plan IN ('free', 'pro', 'unlimited')),
        is_operator boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One operator tenant per installation.
    await q.query(`CREATE UNIQUE INDEX tenants_one_operator ON tenants ((true)) WHERE is_operator`);
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        email varchar(254) NOT NULL UNIQUE CHECK (email = lower(email)),
        password_hash text NOT NULL,
        role varchar(16) NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz
      )`);
    await q.query(`CREATE INDEX users_tenant_id ON users (tenant_id)`);
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        created_by_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
        name varchar(100) NOT NULL,
        prefix varchar(16) NOT NULL UNIQUE,
        key_hash char(64) NOT NULL,
        role varchar(16) NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_tenant_id ON api_keys (tenant_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE users`);
    await q.query(`DROP TABLE tenants`);
  }
}
