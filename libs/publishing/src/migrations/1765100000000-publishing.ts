import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Endpoints (where a tenant's posts go), posts, and deliveries (one per post × endpoint, so a post is never
 * published twice to one place: a re-publish updates the same row and the same remote copy).
 */
export class Publishing1765100000000 implements MigrationInterface {
  name = 'Publishing1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE publishing_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        type varchar(20) NOT NULL CHECK (type IN ('blog', 'webhook', 'wordpress', 'ghost', 'bluesky', 'strapi')),
        name varchar(120) NOT NULL,
        url text,
        -- SecretBox ciphertext of the credentials as a JSON object; never returned, never logged
        credentials text,
        config jsonb NOT NULL DEFAULT '{}',
        enabled boolean NOT NULL DEFAULT true,
        -- blog only: the path segment of the tenant's public blog (/blog/<public_slug>)
        public_slug varchar(60),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((type = 'blog') = (public_slug IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX publishing_endpoints_tenant ON publishing_endpoints (tenant_id, created_at)`);
    await q.query(`CREATE UNIQUE INDEX publishing_endpoints_public_slug ON publishing_endpoints (public_slug) WHERE public_slug IS NOT NULL`);
    // one own blog per tenant: "the tenant's blog" is then unambiguous
    await q.query(`CREATE UNIQUE INDEX publishing_endpoints_one_blog ON publishing_endpoints (tenant_id) WHERE type = 'blog'`);

    await q.query(`
      CREATE TABLE posts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        title varchar(300) NOT NULL,
        content text NOT NULL,
        excerpt varchar(1000),
        slug varchar(120) NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        featured_image_url text,
        canonical_url text,
        status varchar(12) NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'published', 'archived')),
        source_item_id uuid,
        source_job_id uuid,
        conflict boolean NOT NULL DEFAULT false,
        engagement jsonb,
        published_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX posts_slug ON posts (tenant_id, slug)`);
    // an item becomes at most one post (a job's publish option replayed never makes two)
    await q.query(`CREATE UNIQUE INDEX posts_source_item ON posts (tenant_id, source_item_id) WHERE source_item_id IS NOT NULL`);
    await q.query(`CREATE INDEX posts_tenant_created ON posts (tenant_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        post_id uuid NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL REFERENCES publishing_endpoints(id) ON DELETE CASCADE,
        status varchar(12) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'scheduled', 'publishing', 'published', 'failed')),
        -- bumped by every publish request: a queue entry for an older one is ignored, and a webhook receiver
        -- de-duplicates on (delivery id, revision)
        revision integer NOT NULL DEFAULT 1,
        remote_id text,
        remote_url text,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        next_attempt_at timestamptz,
        scheduled_at timestamptz,
        lease_until timestamptz,
        published_at timestamptz,
        -- when Margin last wrote the remote copy, and what the platform said of it right after (sync back)
        last_written_at timestamptz,
        remote_modified_at timestamptz,
        remote_hash text,
        conflict varchar(8) CHECK (conflict IN ('edited', 'deleted')),
        engagement jsonb,
        synced_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX deliveries_post_endpoint ON deliveries (post_id, endpoint_id)`);
    await q.query(`CREATE INDEX deliveries_tenant_post ON deliveries (tenant_id, post_id)`);
    await q.query(`CREATE INDEX deliveries_open ON deliveries (status, lease_until) WHERE status IN ('pending', 'scheduled', 'publishing')`);
    await q.query(`CREATE INDEX deliveries_sync ON deliveries (synced_at NULLS FIRST) WHERE status IN ('published', 'scheduled') AND conflict IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deliveries`);
    await q.query(`DROP TABLE posts`);
    await q.query(`DROP TABLE publishing_endpoints`);
  }
}
