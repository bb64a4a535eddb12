import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { DeliveryEngagement, DeliveryStatus } from '@margin/contracts';

@Entity({ name: 'deliveries' })
export class DeliveryEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'post_id', type: 'uuid' }) postId!: string;
  @Column({ name: 'endpoint_id', type: 'uuid' }) endpointId!: string;
  @Column({ type: 'varchar', length: 12 }) status!: DeliveryStatus;
  /** Bumped by every publish request; queue entries carry nothing else, the row decides what to do. */
  @Column({ type: 'integer' }) revision!: number;
  @Column({ name: 'remote_id', type: 'text', nullable: true }) remoteId!: string | null;
  @Column({ name: 'remote_url', type: 'text', nullable: true }) remoteUrl!: string | null;
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true }) nextAttemptAt!: Date | null;
  @Column({ name: 'scheduled_at', type: 'timestamptz', nullable: true }) scheduledAt!: Date | null;
  /** While `publishing`: until when the worker that claimed it owns it (past it, the sweep resolves it). */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true }) leaseUntil!: Date | null;
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true }) publishedAt!: Date | null;
  @Column({ name: 'last_written_at', type: 'timestamptz', nullable: true }) lastWrittenAt!: Date | null;
  /** The remote copy's modification time as read right after Margin wrote it (a later one: edited remotely). */
  @Column({ name: 'remote_modified_at', type: 'timestamptz', nullable: true }) remoteModifiedAt!: Date | null;
  @Column({ name: 'remote_hash', type: 'text', nullable: true }) remoteHash!: string | null;
  @Column({ type: 'varchar', length: 8, nullable: true }) conflict!: 'edited' | 'deleted' | null;
  @Column({ type: 'jsonb', nullable: true }) engagement!: DeliveryEngagement | null;
  @Column({ name: 'synced_at', type: 'timestamptz', nullable: true }) syncedAt!: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
