import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { TrainingSettingsView, UpdateTrainingSettingsRequest } from '@margin/contracts';
import type { DataSource } from 'typeorm';

/** Without a settings row a tenant's calls are recorded and kept this long. */
export const DEFAULT_RETENTION_DAYS = 90;

@Injectable()
export class TrainingSettingsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(tenantId: string): Promise<TrainingSettingsView | null> {
    const [row] = (await this.db.query(
      `SELECT record_examples AS "recordExamples", retention_days AS "retentionDays" FROM training_settings WHERE tenant_id = $1`,
      [tenantId],
    )) as TrainingSettingsView[];
    return row ?? null;
  }

  async upsert(tenantId: string, settings: TrainingSettingsView): Promise<TrainingSettingsView> {
    const [row] = (await this.db.query(
      `INSERT INTO training_settings (tenant_id, record_examples, retention_days) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET record_examples = EXCLUDED.record_examples, retention_days = EXCLUDED.retention_days, updated_at = now()
       RETURNING record_examples AS "recordExamples", retention_days AS "retentionDays"`,
      [tenantId, settings.recordExamples, settings.retentionDays],
    )) as TrainingSettingsView[];
    return row as TrainingSettingsView;
  }
}

/** Per tenant: whether calls leave training examples, and how many days they are kept. */
@Injectable()
export class TrainingSettingsService {
  constructor(private readonly repo: TrainingSettingsRepository) {}

  async get(tenantId: string): Promise<TrainingSettingsView> {
    return (await this.repo.get(tenantId)) ?? { recordExamples: true, retentionDays: DEFAULT_RETENTION_DAYS };
  }

  async update(tenantId: string, change: UpdateTrainingSettingsRequest): Promise<TrainingSettingsView> {
    const current = await this.get(tenantId);
    return this.repo.upsert(tenantId, {
      recordExamples: change.recordExamples ?? current.recordExamples,
      retentionDays: change.retentionDays ?? current.retentionDays,
    });
  }
}
