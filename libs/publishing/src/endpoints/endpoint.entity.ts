import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { EndpointType } from '@margin/contracts';

@Entity({ name: 'publishing_endpoints' })
export class EndpointEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'varchar', length: 20 }) type!: EndpointType;
  @Column({ type: 'varchar', length: 120 }) name!: string;
  @Column({ type: 'text', nullable: true }) url!: string | null;
  /** SecretBox ciphertext of the credentials object (JSON); never returned or logged. */
  @Column({ type: 'text', nullable: true }) credentials!: string | null;
  @Column({ type: 'jsonb' }) config!: Record<string, unknown>;
  @Column({ type: 'boolean' }) enabled!: boolean;
  /** blog only: /blog/<publicSlug>. */
  @Column({ name: 'public_slug', type: 'varchar', length: 60, nullable: true }) publicSlug!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
