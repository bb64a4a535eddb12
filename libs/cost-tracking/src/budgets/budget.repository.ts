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

  /**
   * The `limit` tenants with a monthly limit whose spend in [from, to) is the largest share of it (a bounded set
   * for the metrics' per-tenant gauge). Exact decimal strings.
   */
  async topUtilization(from: Date, to: Date, limit: number): Promise<Array<{ tenantId: string; limitUsd: string; spentUsd: string }>> {
    const rows = (await this.budgets.manager.query(
      `SELECT u."tenantId", u."limitUsd"::text AS "limitUsd", u."spentUsd"::text AS "spentUsd" FROM (
         SELECT b.tenant_id AS "tenantId", b.monthly_limit_usd AS "limitUsd",
                coalesce((SELECT sum(c.cost_usd) FROM llm_calls c WHERE c.tenant_id = b.tenant_id AND c.created_at >= $1 AND c.created_at < $2), 0) AS "spentUsd"
           FROM budgets b WHERE b.monthly_limit_usd > 0) u
        ORDER BY u."spentUsd" / u."limitUsd" DESC, u."tenantId" LIMIT $3`,
      [from, to, limit],
    )) as Array<{ tenantId: string; limitUsd: string; spentUsd: string }>;
    return rows;
  }
}
