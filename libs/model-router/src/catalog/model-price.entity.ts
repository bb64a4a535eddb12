import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A model's price from `effectiveFrom` on. Rows are only ever added: history is never rewritten. */
@Entity({ name: 'model_prices' })
@Index(['modelId', 'effectiveFrom'], { unique: true })
export class ModelPriceEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'model_id', type: 'varchar', length: 200 })
  modelId!: string;

  /** USD per million tokens, exact decimal strings. */
  @Column({ name: 'input_usd_per_mtok', type: 'numeric', precision: 14, scale: 6 })
  inputUsdPerMTok!: string;

  @Column({ name: 'cached_input_usd_per_mtok', type: 'numeric', precision: 14, scale: 6 })
  cachedInputUsdPerMTok!: string;

  @Column({ name: 'output_usd_per_mtok', type: 'numeric', precision: 14, scale: 6 })
  outputUsdPerMTok!: string;

  /** The batch tier's prices from the same date (null: no batch tier). */
  @Column({ name: 'batch_input_usd_per_mtok', type: 'numeric', precision: 14, scale: 6, nullable: true })
  batchInputUsdPerMTok!: string | null;

  @Column({ name: 'batch_cached_input_usd_per_mtok', type: 'numeric', precision: 14, scale: 6, nullable: true })
  batchCachedInputUsdPerMTok!: string | null;

  @Column({ name: 'batch_output_usd_per_mtok', type: 'numeric', precision: 14, scale: 6, nullable: true })
  batchOutputUsdPerMTok!: string | null;

  @Column({ name: 'effective_from', type: 'timestamptz' })
  effectiveFrom!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
