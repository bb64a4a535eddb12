import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { CacheScope, JsonSchema } from '@margin/contracts';
import type { ProfileStep, QualityGate } from '../pipeline/pipeline.types';

/** One version of a tenant's own profile (built-ins live in code). Rows are never updated. */
@Entity({ name: 'profiles' })
@Unique('profiles_tenant_key_version', ['tenantId', 'key', 'version'])
export class ProfileEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 100 })
  key!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @Column({ name: 'input_schema', type: 'jsonb' })
  inputSchema!: JsonSchema;

  @Column({ name: 'output_schema', type: 'jsonb' })
  outputSchema!: JsonSchema;

  @Column({ type: 'jsonb' })
  steps!: ProfileStep[];

  @Column({ name: 'quality_gate', type: 'jsonb', nullable: true })
  qualityGate!: QualityGate | null;

  @Column({ name: 'cache_scope', type: 'varchar', length: 10, default: 'tenant' })
  cacheScope!: CacheScope;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
