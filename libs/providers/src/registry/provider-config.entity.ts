import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ProviderKind } from '@margin/contracts';

/** A model host Margin can call. Installation-wide (not tenant-owned): the operator manages them. */
@Entity({ name: 'providers' })
export class ProviderConfigEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: ProviderKind;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ name: 'base_url', type: 'text' })
  baseUrl!: string;

  /** AES-256-GCM under ENCRYPTION_KEY; never returned by the API, never logged. */
  @Column({ name: 'api_key_encrypted', type: 'text', nullable: true, select: false })
  apiKeyEncrypted!: string | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  /** `env`: follows the environment at each start; `admin`: changed through the API, the environment no longer overrides it. */
  @Column({ name: 'managed_by', type: 'varchar', length: 8 })
  managedBy!: 'env' | 'admin';

  @Column({ type: 'jsonb', default: {} })
  options!: { keepAlive?: string };

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
