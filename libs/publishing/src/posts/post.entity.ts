import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { DeliveryEngagement, PostStatus } from '@margin/contracts';

@Entity({ name: 'posts' })
export class PostEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'varchar', length: 300 }) title!: string;
  /** Markdown. */
  @Column({ type: 'text' }) content!: string;
  @Column({ type: 'varchar', length: 1000, nullable: true }) excerpt!: string | null;
  @Column({ type: 'varchar', length: 120 }) slug!: string;
  @Column({ type: 'text', array: true }) tags!: string[];
  @Column({ name: 'featured_image_url', type: 'text', nullable: true }) featuredImageUrl!: string | null;
  @Column({ name: 'canonical_url', type: 'text', nullable: true }) canonicalUrl!: string | null;
  @Column({ type: 'varchar', length: 12 }) status!: PostStatus;
  @Column({ name: 'source_item_id', type: 'uuid', nullable: true }) sourceItemId!: string | null;
  @Column({ name: 'source_job_id', type: 'uuid', nullable: true }) sourceJobId!: string | null;
  @Column({ type: 'boolean' }) conflict!: boolean;
  /** Sum of the engagement numbers read back from every endpoint (the KPI module reads it). */
  @Column({ type: 'jsonb', nullable: true }) engagement!: DeliveryEngagement | null;
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true }) publishedAt!: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
