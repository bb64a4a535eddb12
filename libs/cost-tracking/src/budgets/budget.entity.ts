import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'budgets' })
export class BudgetEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  /** Exact decimal string; null: no monthly limit. */
  @Column({ name: 'monthly_limit_usd', type: 'numeric', precision: 20, scale: 6, nullable: true }) monthlyLimitUsd!: string | null;
  @Column({ name: 'alert_thresholds', type: 'numeric', precision: 5, scale: 4, array: true }) alertThresholds!: string[];
  @Column({ name: 'hard_stop', type: 'boolean', default: false }) hardStop!: boolean;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'budget_alerts' })
export class BudgetAlertEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  /** First day of the month (UTC) the alert belongs to. */
  @Column({ type: 'date' }) period!: string;
  @Column({ type: 'numeric', precision: 5, scale: 4 }) threshold!: string;
  @Column({ name: 'spent_usd', type: 'numeric', precision: 20, scale: 12 }) spentUsd!: string;
  @Column({ name: 'limit_usd', type: 'numeric', precision: 20, scale: 6 }) limitUsd!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
