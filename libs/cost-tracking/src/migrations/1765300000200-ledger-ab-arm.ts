import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which arm of a policy cell's A/B split served a call (null: the cell has no split), for per-arm reports. */
export class LedgerAbArm1765300000200 implements MigrationInterface {
  name = 'LedgerAbArm1765300000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE llm_calls ADD COLUMN ab_arm varchar(10) CHECK (ab_arm IN ('incumbent', 'challenger'))`);
    await q.query(`ALTER TABLE llm_calls ADD COLUMN complexity varchar(10)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE llm_calls DROP COLUMN complexity`);
    await q.query(`ALTER TABLE llm_calls DROP COLUMN ab_arm`);
  }
}
