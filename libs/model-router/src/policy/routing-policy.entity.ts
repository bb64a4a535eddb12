import { Column, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Complexity } from '@margin/contracts';

/** One cell of the routing matrix: global (tenant null) or a tenant's override. */
@Entity({ name: 'routing_policies' })
export class RoutingPolicyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true }) tenantId!: string | null;
  @Column({ type: 'varchar', length: 50 }) operation!: string;
  @Column({ type: 'varchar', length: 10 }) complexity!: Complexity;
  @Column({ type: 'text', array: true }) candidates!: string[];
  @Column({ name: 'ab_challenger', type: 'varchar', length: 200, nullable: true }) abChallenger!: string | null;
  @Column({ name: 'ab_share', type: 'numeric', precision: 4, scale: 3, nullable: true }) abShare!: string | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
