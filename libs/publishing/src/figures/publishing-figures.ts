// Publishing's figures for the marketing KPIs (the metrics module's MarketingFiguresSource port, matched by
// shape: publishing sits below metrics in the layers and does not import it).
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface PublishingFiguresView {
  postsCreated: number;
  /** Posts with at least one delivery published in the range. */
  postsPublished: number;
  /** Deliveries that ended failed in the range. */
  deliveriesFailed: number;
  /** Enabled endpoints now. */
  endpointsActive: number;
}

@Injectable()
export class PublishingFigures {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One tenant's figures for [from, to), in one statement. */
  async figures(tenantId: string, from: Date, to: Date): Promise<PublishingFiguresView> {
    const [row] = (await this.db.query(
      `SELECT
         (SELECT count(*)::int FROM posts WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3) AS posts_created,
         (SELECT count(DISTINCT post_id)::int FROM deliveries
           WHERE tenant_id = $1 AND status = 'published' AND published_at >= $2 AND published_at < $3) AS posts_published,
         (SELECT count(*)::int FROM deliveries WHERE tenant_id = $1 AND status = 'failed' AND updated_at >= $2 AND updated_at < $3) AS deliveries_failed,
         (SELECT count(*)::int FROM publishing_endpoints WHERE tenant_id = $1 AND enabled) AS endpoints_active`,
      [tenantId, from, to],
    )) as Array<{ posts_created: number; posts_published: number; deliveries_failed: number; endpoints_active: number }>;
    return {
      postsCreated: row?.posts_created ?? 0,
      postsPublished: row?.posts_published ?? 0,
      deliveriesFailed: row?.deliveries_failed ?? 0,
      endpointsActive: row?.endpoints_active ?? 0,
    };
  }
}
