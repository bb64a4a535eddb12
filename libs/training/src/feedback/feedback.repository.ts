import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface FeedbackRow {
  id: string;
  itemId: string;
  jobId: string;
  exampleId: string | null;
  step: string | null;
  rating: number;
  approved: boolean | null;
  edits: unknown;
  comment: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const RETURNING = `id, item_id AS "itemId", job_id AS "jobId", example_id AS "exampleId", step, rating, approved, edits, comment,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

@Injectable()
export class FeedbackRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One feedback per item: a new one replaces the last. */
  async upsert(tenantId: string, row: Omit<FeedbackRow, 'id' | 'createdAt' | 'updatedAt'> & { userId: string | null }, at: Date): Promise<FeedbackRow> {
    const [saved] = (await this.db.query(
      `INSERT INTO training_feedback (tenant_id, item_id, job_id, example_id, step, rating, approved, edits, comment, user_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $11)
       ON CONFLICT (tenant_id, item_id) DO UPDATE SET example_id = EXCLUDED.example_id, step = EXCLUDED.step, rating = EXCLUDED.rating,
         approved = EXCLUDED.approved, edits = EXCLUDED.edits, comment = EXCLUDED.comment, user_id = EXCLUDED.user_id, updated_at = EXCLUDED.updated_at
       RETURNING ${RETURNING}`,
      [
        tenantId,
        row.itemId,
        row.jobId,
        row.exampleId,
        row.step,
        row.rating,
        row.approved,
        row.edits === undefined ? null : JSON.stringify(row.edits),
        row.comment,
        row.userId,
        at,
      ],
    )) as FeedbackRow[];
    return saved as FeedbackRow;
  }

  async get(tenantId: string, itemId: string): Promise<FeedbackRow | null> {
    const [row] = (await this.db.query(`SELECT ${RETURNING} FROM training_feedback WHERE tenant_id = $1 AND item_id = $2`, [
      tenantId,
      itemId,
    ])) as FeedbackRow[];
    return row ?? null;
  }
}
