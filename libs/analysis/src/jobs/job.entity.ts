import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { CacheScope, JobPublishOption, JobStatus, Priority } from '@margin/contracts';

@Entity({ name: 'jobs' })
export class JobEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'profile_key', type: 'varchar', length: 100 }) profileKey!: string;
  @Column({ name: 'profile_version', type: 'integer' }) profileVersion!: number;
  @Column({ type: 'varchar', length: 200, nullable: true }) name!: string | null;
  @Column({ type: 'varchar', length: 24 }) status!: JobStatus;
  @Column({ type: 'varchar', length: 10 }) priority!: Priority;
  @Column({ name: 'budget_usd', type: 'numeric', precision: 20, scale: 6, nullable: true }) budgetUsd!: string | null;
  @Column({ name: 'total_items', type: 'integer' }) totalItems!: number;
  @Column({ name: 'completed_items', type: 'integer' }) completedItems!: number;
  @Column({ name: 'failed_items', type: 'integer' }) failedItems!: number;
  @Column({ name: 'cached_items', type: 'integer' }) cachedItems!: number;
  @Column({ name: 'cancelled_items', type: 'integer' }) cancelledItems!: number;
  @Column({ name: 'cost_usd', type: 'numeric', precision: 20, scale: 12 }) costUsd!: string;
  @Column({ name: 'saved_usd', type: 'numeric', precision: 20, scale: 12 }) savedUsd!: string;
  @Column({ type: 'jsonb', nullable: true }) metadata!: Record<string, unknown> | null;
  @Column({ name: 'idempotency_key', type: 'varchar', length: 200, nullable: true }) idempotencyKey!: string | null;
  @Column({ name: 'request_hash', type: 'char', length: 64, nullable: true }) requestHash!: string | null;
  @Column({ name: 'created_by_user_id', type: 'uuid', nullable: true }) createdByUserId!: string | null;
  @Column({ name: 'created_by_api_key_id', type: 'uuid', nullable: true }) createdByApiKeyId!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  /** Patience for provider outages; null: the tenant's default. */
  @Column({ name: 'max_wait_seconds', type: 'integer', nullable: true }) maxWaitSeconds!: number | null;
  /** Where its items are cached (null for jobs from before: the profile's scope). */
  @Column({ name: 'cache_scope', type: 'varchar', length: 10, nullable: true }) cacheScope!: CacheScope | null;
  /** Set while items wait for a provider (cleared by the next item a model answers). */
  @Column({ name: 'waiting_reason', type: 'text', nullable: true }) waitingReason!: string | null;
  @Column({ name: 'waiting_until', type: 'timestamptz', nullable: true }) waitingUntil!: Date | null;
  /** blog-post jobs: where each finished item is published (see job-hooks.ts). */
  @Column({ type: 'jsonb', nullable: true }) publish!: JobPublishOption | null;
  /** `instant`: the queued full analysis of an instant POST /analyze (see InstantAnalysis). */
  @Column({ type: 'varchar', length: 10, default: 'submit' }) origin!: 'submit' | 'instant';
  /** When the results are needed by (a far one allows the batch tier). */
  @Column({ type: 'timestamptz', nullable: true }) deadline!: Date | null;
  /** The job may wait for the batch tier (null: the tenant's default). */
  @Column({ name: 'batch_deferrable', type: 'boolean', nullable: true }) deferrable!: boolean | null;
}
