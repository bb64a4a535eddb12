import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Profiles1764000000100 implements MigrationInterface {
  name = 'Profiles1764000000100';

  async up(q: QueryRunner): Promise<void> {
    // Tenants' own analysis profiles; built-ins live in code. A version is never changed once written:
    // posting a key again adds the next version, so cached results (keyed by version) never go stale.
    await q.query(`
      CREATE TABLE profiles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        key varchar(100) NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        name varchar(200) NOT NULL,
        description text NOT NULL DEFAULT '',
        input_schema jsonb NOT NULL,
        output_schema jsonb NOT NULL,
        steps jsonb NOT NULL CHECK (jsonb_typeof(steps) = 'array'),
        quality_gate jsonb,
        cache_scope varchar(10) NOT NULL DEFAULT 'tenant' CHECK (cache_scope IN ('global', 'tenant')),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT profiles_tenant_key_version UNIQUE (tenant_id, key, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE profiles`);
  }
}
