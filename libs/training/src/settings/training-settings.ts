import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { TrainingSettingsView, UpdateTrainingSettingsRequest } from '@margin/contracts';
import type { DataSource } from 'typeorm';

/** Without a settings row a tenant's calls are recorded and kept this long. */
export const DEFAULT_RETENTION_DAYS = 90;

/** Without a settings row: the rule's proposals await one click; 20 judged answers per arm, 5 quality points. */
export const DEFAULT_SETTINGS: TrainingSettingsView = Object.freeze({
  recordExamples: true,
  retentionDays: DEFAULT_RETENTION_DAYS,
  promotionMode: 'propose',
  promotionMinJudged: 20,
  promotionMargin: 5,
});

const COLUMNS = `record_examples AS "recordExamples", retention_days AS "retentionDays", promotion_mode AS "promotionMode",
  promotion_min_judged AS "promotionMinJudged", promotion_margin::float8 AS "promotionMargin"`;

@Injectable()
export class TrainingSettingsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(tenantId: string): Promise<TrainingSettingsView | null> {
    const [row] = (await this.db.query(`SELECT ${COLUMNS} FROM training_settings WHERE tenant_id = $1`, [tenantId])) as TrainingSettingsView[];
    return row ?? null;
  }

  async upsert(tenantId: string, s: TrainingSettingsView): Promise<TrainingSettingsView> {
    const [row] = (await this.db.query(
      `INSERT INTO training_settings (tenant_id, record_examples, retention_days, promotion_mode, promotion_min_judged, promotion_margin)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id) DO UPDATE SET record_examples = EXCLUDED.record_examples, retention_days = EXCLUDED.retention_days,
         promotion_mode = EXCLUDED.promotion_mode, promotion_min_judged = EXCLUDED.promotion_min_judged,
         promotion_margin = EXCLUDED.promotion_margin, updated_at = now()
       RETURNING ${COLUMNS}`,
      [tenantId, s.recordExamples, s.retentionDays, s.promotionMode, s.promotionMinJudged, s.promotionMargin],
    )) as TrainingSettingsView[];
    return row as TrainingSettingsView;
  }
}

/** Per tenant: whether calls leave training examples and for how many days, and the promotion rule's choice. */
@Injectable()
export class TrainingSettingsService {
  constructor(private readonly repo: TrainingSettingsRepository) {}

  async get(tenantId: string): Promise<TrainingSettingsView> {
    return (await this.repo.get(tenantId)) ?? { ...DEFAULT_SETTINGS };
  }

  async update(tenantId: string, change: UpdateTrainingSettingsRequest): Promise<TrainingSettingsView> {
    const current = await this.get(tenantId);
    return this.repo.upsert(tenantId, {
      recordExamples: change.recordExamples ?? current.recordExamples,
      retentionDays: change.retentionDays ?? current.retentionDays,
      promotionMode: change.promotionMode ?? current.promotionMode,
      promotionMinJudged: change.promotionMinJudged ?? current.promotionMinJudged,
      promotionMargin: change.promotionMargin ?? current.promotionMargin,
    });
  }
}
