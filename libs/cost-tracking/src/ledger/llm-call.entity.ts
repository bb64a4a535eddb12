import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The cost ledger: one row per provider attempt, priced exactly (numeric) at the price in force. */
@Entity({ name: 'llm_calls' })
export class LlmCallEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'attempt_id', type: 'varchar', length: 200, unique: true }) attemptId!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'api_key_id', type: 'uuid', nullable: true }) apiKeyId!: string | null;
  @Column({ name: 'user_id', type: 'uuid', nullable: true }) userId!: string | null;
  @Column({ name: 'job_id', type: 'uuid', nullable: true }) jobId!: string | null;
  @Column({ name: 'item_id', type: 'uuid', nullable: true }) itemId!: string | null;
  @Column({ type: 'varchar', length: 50 }) operation!: string;
  @Column({ name: 'provider_id', type: 'varchar', length: 64 }) providerId!: string;
  @Column({ name: 'model_id', type: 'varchar', length: 200 }) modelId!: string;
  @Column({ name: 'input_tokens', type: 'integer' }) inputTokens!: number;
  @Column({ name: 'cached_input_tokens', type: 'integer' }) cachedInputTokens!: number;
  @Column({ name: 'output_tokens', type: 'integer' }) outputTokens!: number;
  @Column({ name: 'reasoning_tokens', type: 'integer' }) reasoningTokens!: number;
  /** Exact decimal string (12 decimals). */
  @Column({ name: 'cost_usd', type: 'numeric', precision: 20, scale: 12 }) costUsd!: string;
  @Column({ name: 'premium_model_id', type: 'varchar', length: 200, nullable: true }) premiumModelId!: string | null;
  @Column({ name: 'premium_cost_usd', type: 'numeric', precision: 20, scale: 12, nullable: true }) premiumCostUsd!: string | null;
  @Column({ name: 'latency_ms', type: 'integer' }) latencyMs!: number;
  /** `success` or the error kind (rate_limited, timeout, server_error, invalid_output…). */
  @Column({ type: 'varchar', length: 32 }) outcome!: string;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @Column({ type: 'numeric', precision: 5, scale: 2, nullable: true }) quality!: string | null;
  @Column({ name: 'routing_reason', type: 'text', nullable: true }) routingReason!: string | null;
  @Column({ name: 'fallback_from', type: 'varchar', length: 200, nullable: true }) fallbackFrom!: string | null;
  @Column({ type: 'boolean', default: false }) emulated!: boolean;
  /** The A/B arm that served the call (null: no split in its policy cell). */
  @Column({ name: 'ab_arm', type: 'varchar', length: 10, nullable: true }) abArm!: 'incumbent' | 'challenger' | null;
  @Column({ type: 'varchar', length: 10, nullable: true }) complexity!: string | null;
  /** `live` or `batch` (a request of a provider batch, at the batch price). */
  @Column({ type: 'varchar', length: 8, default: 'live' }) tier!: 'live' | 'batch';
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
