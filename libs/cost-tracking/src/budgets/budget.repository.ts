import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { BudgetAlertEntity, BudgetEntity } from './budget.entity';

@Injectable()
export class BudgetRepository {
  constructor(
    @InjectRepository(BudgetEntity) private readonly budgets: Repository<BudgetEntity>,
    @InjectRepository(BudgetAlertEntity) private readonly alerts: Repository<BudgetAlertEntity>,
  ) {}

  find(tenantId: string): Promise<BudgetEntity | null> {
    return this.budgets.findOneBy({ tenantId });
  }

  async upsert(tenantId: string, row: { monthlyLimitUsd: string | null; alertThresholds: string[]; hardStop: boolean }): Promise<void> {
    await this.budgets.upsert({ tenantId, ...row }, ['tenantId']);
  }

  listAlerts(tenantId: string, period: string): Promise<BudgetAlertEntity[]> {
    return this.alerts.find({ where: { tenantId, period }, order: { threshold: 'ASC' } });
  }

  /** True when this threshold had not alerted yet this period (exactly one alert per threshold and month). */
  async insertAlertOnce(tenantId: string, row: { period: string; threshold: string; spentUsd: string; limitUsd: string; at: Date }): Promise<boolean> {
    const result = await this.alerts
      .createQueryBuilder()
      .insert()
      .into(BudgetAlertEntity)
      .values({ tenantId, period: row.period, threshold: row.threshold, spentUsd: row.spentUsd, limitUsd: row.limitUsd, createdAt: row.at })
      .orIgnore()
      .returning(['id'])
      .execute();
    return (result.raw as unknown[]).length > 0;
  }
}
