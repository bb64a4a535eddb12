import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Training: the examples every answered call leaves (bounded by each tenant's retention), feedback on items,
 * frozen datasets, eval sets and their runs. Examples keep no foreign key to jobs or items: they outlive a
 * deleted job until their retention ends, and the hot-path insert checks nothing but the tenant's opt-out.
 */
export class Training1765300000000 implements MigrationInterface {
  name = 'Training1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE training_settings (
        tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        record_examples boolean NOT NULL DEFAULT true,
        retention_days integer NOT NULL DEFAULT 90 CHECK (retention_days BETWEEN 1 AND 3650),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE training_examples (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        call_ref text NOT NULL UNIQUE,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        source varchar(10) NOT NULL,
        job_id uuid,
        item_id uuid,
        profile_key varchar(100),
        profile_version integer,
        step varchar(100),
        round integer,
        operation varchar(100) NOT NULL,
        messages jsonb NOT NULL,
        output_text text NOT NULL,
        output_json jsonb,
        structured boolean NOT NULL,
        input_hash char(64) NOT NULL,
        model_id varchar(200) NOT NULL,
        provider_id varchar(100) NOT NULL,
        input_tokens integer NOT NULL,
        output_tokens integer NOT NULL,
        cost_usd numeric(20, 12) NOT NULL,
        latency_ms integer NOT NULL,
        quality numeric(8, 3),
        emulated boolean NOT NULL,
        complexity varchar(10),
        ab_arm varchar(10),
        created_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX training_examples_tenant_created ON training_examples (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX training_examples_tenant_item ON training_examples (tenant_id, item_id) WHERE item_id IS NOT NULL`);
    await q.query(`CREATE INDEX training_examples_tenant_hash ON training_examples (tenant_id, input_hash)`);
    await q.query(`CREATE INDEX training_examples_created ON training_examples (created_at)`);
    await q.query(`
      CREATE TABLE training_feedback (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        item_id uuid NOT NULL,
        job_id uuid NOT NULL,
        example_id uuid REFERENCES training_examples(id) ON DELETE SET NULL,
        step varchar(100),
        rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
        approved boolean,
        edits jsonb,
        comment text,
        user_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, item_id)
      )`);
    await q.query(`
      CREATE TABLE training_datasets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        version integer NOT NULL,
        format varchar(20) NOT NULL,
        filters jsonb NOT NULL,
        examples integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name, version)
      )`);
    await q.query(`
      CREATE TABLE training_dataset_records (
        dataset_id uuid NOT NULL REFERENCES training_datasets(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        example_id uuid,
        record jsonb NOT NULL,
        PRIMARY KEY (dataset_id, seq)
      )`);
    await q.query(`
      CREATE TABLE eval_sets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        profile_key varchar(100) NOT NULL,
        items integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX eval_sets_tenant ON eval_sets (tenant_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE eval_items (
        eval_set_id uuid NOT NULL REFERENCES eval_sets(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        input jsonb NOT NULL,
        expected jsonb,
        PRIMARY KEY (eval_set_id, seq)
      )`);
    await q.query(`
      CREATE TABLE eval_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        eval_set_id uuid NOT NULL REFERENCES eval_sets(id) ON DELETE CASCADE,
        model varchar(200) NOT NULL,
        judge_model varchar(200),
        status varchar(10) NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX eval_runs_set ON eval_runs (tenant_id, eval_set_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE eval_run_items (
        run_id uuid NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        status varchar(10) NOT NULL CHECK (status IN ('completed', 'failed')),
        output jsonb,
        error text,
        scores jsonb,
        quality numeric(8, 3),
        cost_usd numeric(20, 12) NOT NULL DEFAULT 0,
        latency_ms integer NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, seq)
      )`);
    await q.query(`
      CREATE TABLE training_promotions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        operation varchar(100) NOT NULL,
        complexity varchar(10) NOT NULL,
        action varchar(10) NOT NULL CHECK (action IN ('promote', 'hold')),
        from_model varchar(200) NOT NULL,
        to_model varchar(200) NOT NULL,
        applied boolean NOT NULL,
        previous_cell jsonb NOT NULL,
        evidence jsonb NOT NULL,
        reason text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        reverted_at timestamptz
      )`);
    await q.query(`CREATE INDEX training_promotions_tenant ON training_promotions (tenant_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'training_promotions',
      'eval_run_items',
      'eval_runs',
      'eval_items',
      'eval_sets',
      'training_dataset_records',
      'training_datasets',
      'training_feedback',
      'training_examples',
      'training_settings',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
