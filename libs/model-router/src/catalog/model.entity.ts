import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ModelTier } from '@margin/contracts';

/** A model in the installation-wide catalog. */
@Entity({ name: 'models' })
export class ModelEntity {
  /** `<provider>/<model>` */
  @PrimaryColumn({ type: 'varchar', length: 200 })
  id!: string;

  @Column({ name: 'provider_id', type: 'varchar', length: 64 })
  providerId!: string;

  /** The name the provider knows it by. */
  @Column({ type: 'varchar', length: 150 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  tier!: ModelTier;

  @Column({ name: 'context_window', type: 'integer' })
  contextWindow!: number;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  capabilities!: string[];

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  /** Exact decimal string (numeric): pg returns numerics as strings, which keeps them exact. */
  @Column({ name: 'gpu_usd_per_hour', type: 'numeric', precision: 14, scale: 6, nullable: true })
  gpuUsdPerHour!: string | null;

  @Column({ name: 'parallel_slots', type: 'integer', default: 1 })
  parallelSlots!: number;

  /** Global rate limits for this model (null: none), enforced across every worker through Redis. */
  @Column({ type: 'integer', nullable: true })
  rpm!: number | null;

  @Column({ type: 'integer', nullable: true })
  tpm!: number | null;

  @Column({ name: 'max_concurrency', type: 'integer', nullable: true })
  maxConcurrency!: number | null;

  /** A fine-tuned model: the catalog model it was trained from (null for a base model). */
  @Column({ name: 'base_model_id', type: 'varchar', length: 200, nullable: true })
  baseModelId!: string | null;

  /** The batch tier's enqueued-token limit (requests submitted and not yet ended; null: none), apart from tpm. */
  @Column({ name: 'batch_queue_tokens', type: 'integer', nullable: true })
  batchQueueTokens!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
