import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fair shares between tenants (see JobFeeder): a plan's weight in the round-robin between tenants of one
 * priority, and how many of a tenant's items may be in the queue or running at once (NULL: no cap).
 */
export class FairShares1764000000400 implements MigrationInterface {
  name = 'FairShares1764000000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE plans ADD COLUMN fair_share_weight integer NOT NULL DEFAULT 1 CHECK (fair_share_weight BETWEEN 1 AND 1000)`);
    await q.query(`ALTER TABLE plans ADD COLUMN max_running_items integer CHECK (max_running_items >= 1)`);
    await q.query(`UPDATE plans SET fair_share_weight = CASE key WHEN 'free' THEN 1 WHEN 'pro' THEN 2 ELSE 4 END,
                     max_running_items = CASE key WHEN 'free' THEN 10 WHEN 'pro' THEN 100 ELSE NULL END`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE plans DROP COLUMN max_running_items`);
    await q.query(`ALTER TABLE plans DROP COLUMN fair_share_weight`);
  }
}
