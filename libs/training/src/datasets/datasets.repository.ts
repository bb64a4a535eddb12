import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ExportFormat } from '@margin/contracts';
import { isUniqueViolation } from '@margin/core';
import type { DataSource } from 'typeorm';
import type { TrainingRecord } from '../export/formats';

export interface DatasetRow {
  id: string;
  name: string;
  version: number;
  format: ExportFormat;
  filters: Record<string, unknown>;
  examples: number;
  createdAt: Date;
}

const COLUMNS = `id, name, version, format, filters, examples, created_at AS "createdAt"`;

@Injectable()
export class DatasetsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A new version of the named dataset (1 for a new name); the unique key settles two creating at once. */
  async create(tenantId: string, row: { name: string; format: ExportFormat; filters: Record<string, unknown> }): Promise<DatasetRow> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.insertNextVersion(tenantId, row);
      } catch (err) {
        // Two versions of one name created at once: the loser takes the next number.
        if (!isUniqueViolation(err) || attempt >= 4) throw err;
      }
    }
  }

  private async insertNextVersion(tenantId: string, row: { name: string; format: ExportFormat; filters: Record<string, unknown> }): Promise<DatasetRow> {
    const [saved] = (await this.db.query(
      `INSERT INTO training_datasets (tenant_id, name, version, format, filters)
       SELECT $1::uuid, $2::varchar, coalesce(max(version), 0) + 1, $3::varchar, $4::jsonb FROM training_datasets WHERE tenant_id = $1::uuid AND name = $2::varchar
       RETURNING ${COLUMNS}`,
      [tenantId, row.name, row.format, JSON.stringify(row.filters)],
    )) as DatasetRow[];
    return saved as DatasetRow;
  }

  async addRecords(datasetId: string, fromSeq: number, records: TrainingRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.query(
      `INSERT INTO training_dataset_records (dataset_id, seq, example_id, record)
       SELECT $1::uuid, r.seq, r.example_id, r.record FROM unnest($2::int[], $3::uuid[], $4::jsonb[]) AS r(seq, example_id, record)`,
      [datasetId, records.map((_, i) => fromSeq + i), records.map((r) => r.meta.exampleId), records.map((r) => JSON.stringify(r))],
    );
  }

  async finish(tenantId: string, datasetId: string, examples: number): Promise<DatasetRow> {
    const [rows] = (await this.db.query(`UPDATE training_datasets SET examples = $3 WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`, [
      tenantId,
      datasetId,
      examples,
    ])) as [DatasetRow[], number];
    return rows[0] as DatasetRow;
  }

  async remove(tenantId: string, datasetId: string): Promise<void> {
    await this.db.query(`DELETE FROM training_datasets WHERE tenant_id = $1 AND id = $2`, [tenantId, datasetId]);
  }

  async list(tenantId: string): Promise<DatasetRow[]> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM training_datasets WHERE tenant_id = $1 ORDER BY name, version DESC`, [tenantId])) as DatasetRow[];
  }

  async get(tenantId: string, id: string): Promise<DatasetRow | null> {
    const [row] = (await this.db.query(`SELECT ${COLUMNS} FROM training_datasets WHERE tenant_id = $1 AND id = $2`, [tenantId, id])) as DatasetRow[];
    return row ?? null;
  }

  /** The frozen records in order, a page after `afterSeq` (the dataset is checked to be the tenant's first). */
  async records(datasetId: string, afterSeq: number, limit: number): Promise<Array<{ seq: number; record: TrainingRecord }>> {
    return (await this.db.query(`SELECT seq, record FROM training_dataset_records WHERE dataset_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [
      datasetId,
      afterSeq,
      limit,
    ])) as Array<{ seq: number; record: TrainingRecord }>;
  }
}
