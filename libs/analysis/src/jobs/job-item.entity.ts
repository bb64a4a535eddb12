import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ItemStatus } from '@margin/contracts';

@Entity({ name: 'job_items' })
export class JobItemEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'job_id', type: 'uuid' }) jobId!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'integer' }) index!: number;
  @Column({ type: 'jsonb' }) input!: unknown;
  @Column({ name: 'input_hash', type: 'char', length: 64 }) inputHash!: string;
  @Column({ type: 'varchar', length: 12 }) status!: ItemStatus;
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ type: 'jsonb', nullable: true }) result!: unknown;
  @Column({ type: 'boolean' }) cached!: boolean;
  @Column({ name: 'cost_usd', type: 'numeric', precision: 20, scale: 12 }) costUsd!: string;
  @Column({ name: 'saved_usd', type: 'numeric', precision: 20, scale: 12 }) savedUsd!: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) model!: string | null;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  /** Times the item was put back to wait for a provider (these are not attempts). */
  @Column({ type: 'integer' }) waits!: number;
  /** When its current wait for providers began (the job's patience counts from here). */
  @Column({ name: 'waiting_since', type: 'timestamptz', nullable: true }) waitingSince!: Date | null;
}
