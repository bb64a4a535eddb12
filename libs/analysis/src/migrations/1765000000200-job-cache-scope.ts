import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A job may keep its items out of the shared cache (`cacheScope: "tenant"`, for private inputs): the scope
 * its items are cached in is stored with it. Null (jobs from before): the profile's scope.
 */
export class JobCacheScope1765000000200 implements MigrationInterface {
  name = 'JobCacheScope1765000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN cache_scope varchar(10) CHECK (cache_scope IN ('global', 'tenant'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN cache_scope`);
  }
}
