import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Ledger rows say how the call reached its provider: live, or a request of a provider batch. */
export class LedgerTier1765400000402 implements MigrationInterface {
  name = 'LedgerTier1765400000402';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE llm_calls ADD COLUMN tier varchar(8) NOT NULL DEFAULT 'live' CHECK (tier IN ('live', 'batch'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE llm_calls DROP COLUMN tier`);
  }
}
