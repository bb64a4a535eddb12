import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Fine-tuned models in the catalog: each names the model it was trained from (capabilities come from there). */
export class FineTunedModels1765400000000 implements MigrationInterface {
  name = 'FineTunedModels1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE models ADD COLUMN base_model_id varchar(200) REFERENCES models(id) ON DELETE RESTRICT`);
    await q.query(`ALTER TABLE models ADD CONSTRAINT models_base_not_self CHECK (base_model_id IS NULL OR base_model_id <> id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE models DROP CONSTRAINT models_base_not_self`);
    await q.query(`ALTER TABLE models DROP COLUMN base_model_id`);
  }
}
