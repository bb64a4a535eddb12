import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** A tenant's defaults for its jobs (one row per tenant that changed them). */
@Injectable()
export class JobSettingsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async maxWaitSeconds(tenantId: string): Promise<number | null> {
    const [row] = (await this.db.query(`SELECT max_wait_seconds FROM job_settings WHERE tenant_id = $1`, [tenantId])) as Array<{ max_wait_seconds: number }>;
    return row?.max_wait_seconds ?? null;
  }

  async deferrable(tenantId: string): Promise<boolean> {
    const [row] = (await this.db.query(`SELECT batch_deferrable AS deferrable FROM job_settings WHERE tenant_id = $1`, [tenantId])) as Array<{
      deferrable: boolean;
    }>;
    return row?.deferrable ?? false;
  }

  /** A tenant without a row gets one with the default patience (a day). */
  async setDeferrable(tenantId: string, deferrable: boolean): Promise<void> {
    await this.db.query(
      `INSERT INTO job_settings (tenant_id, max_wait_seconds, batch_deferrable, updated_at) VALUES ($1, 86400, $2, now())
       ON CONFLICT (tenant_id) DO UPDATE SET batch_deferrable = EXCLUDED.batch_deferrable, updated_at = now()`,
      [tenantId, deferrable],
    );
  }

  async setMaxWaitSeconds(tenantId: string, seconds: number): Promise<void> {
    await this.db.query(
      `INSERT INTO job_settings (tenant_id, max_wait_seconds, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (tenant_id) DO UPDATE SET max_wait_seconds = EXCLUDED.max_wait_seconds, updated_at = now()`,
      [tenantId, seconds],
    );
  }
}
