import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The scheduled promotion rule: each tenant's choice (off, propose for one click, or promote automatically)
 * and its rule; and the log's who/what/why: where an evaluation came from, who acted, its approval, its revert,
 * the promotion a demotion reverts, and a key making each scheduled evaluation of a cell happen once.
 */
export class PromotionSchedule1765400000010 implements MigrationInterface {
  name = 'PromotionSchedule1765400000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE training_settings
        ADD COLUMN promotion_mode varchar(10) NOT NULL DEFAULT 'propose' CHECK (promotion_mode IN ('off', 'propose', 'auto')),
        ADD COLUMN promotion_min_judged integer NOT NULL DEFAULT 20 CHECK (promotion_min_judged BETWEEN 1 AND 100000),
        ADD COLUMN promotion_margin numeric(6, 2) NOT NULL DEFAULT 5 CHECK (promotion_margin BETWEEN 0 AND 100)`);
    await q.query(`ALTER TABLE training_promotions DROP CONSTRAINT training_promotions_action_check`);
    await q.query(`
      ALTER TABLE training_promotions
        ADD CONSTRAINT training_promotions_action_check CHECK (action IN ('promote', 'demote', 'hold')),
        ADD COLUMN origin varchar(10) NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'scheduled')),
        ADD COLUMN actor_user_id uuid,
        ADD COLUMN evaluation_key varchar(200),
        ADD COLUMN approved_at timestamptz,
        ADD COLUMN approved_by uuid,
        ADD COLUMN reverted_by uuid,
        ADD COLUMN reverts_id uuid REFERENCES training_promotions(id) ON DELETE SET NULL`);
    await q.query(`CREATE UNIQUE INDEX training_promotions_evaluation ON training_promotions (tenant_id, evaluation_key) WHERE evaluation_key IS NOT NULL`);
    await q.query(`CREATE INDEX training_promotions_cell ON training_promotions (tenant_id, operation, complexity, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX training_promotions_cell`);
    await q.query(`DROP INDEX training_promotions_evaluation`);
    await q.query(`DELETE FROM training_promotions WHERE action = 'demote'`);
    await q.query(`
      ALTER TABLE training_promotions
        DROP CONSTRAINT training_promotions_action_check,
        DROP COLUMN reverts_id, DROP COLUMN reverted_by, DROP COLUMN approved_by, DROP COLUMN approved_at,
        DROP COLUMN evaluation_key, DROP COLUMN actor_user_id, DROP COLUMN origin`);
    await q.query(`ALTER TABLE training_promotions ADD CONSTRAINT training_promotions_action_check CHECK (action IN ('promote', 'hold'))`);
    await q.query(`ALTER TABLE training_settings DROP COLUMN promotion_margin, DROP COLUMN promotion_min_judged, DROP COLUMN promotion_mode`);
  }
}
