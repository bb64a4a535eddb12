import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface RevenueRow {
  id: string;
  amountUsd: string;
  occurredAt: Date;
  source: string;
  postId: string | null;
  jobId: string | null;
  note: string | null;
  externalId: string | null;
  createdAt: Date;
}

export interface NewRevenue {
  amountUsd: string;
  occurredAt: Date;
  source: string;
  postId: string | null;
  jobId: string | null;
  note: string | null;
  externalId: string | null;
}

const COLUMNS = `id, amount_usd::text AS "amountUsd", occurred_at AS "occurredAt", source, post_id AS "postId", job_id AS "jobId", note,
  external_id AS "externalId", created_at AS "createdAt"`;

@Injectable()
export class RevenueRepository {
  constructor(private readonly db: DataSource) {}

  /** Books the entries in one statement; an entry whose (source, externalId) was booked before is skipped. Returns those booked now. */
  async insertMany(tenantId: string, rows: NewRevenue[], manager: EntityManager = this.db.manager): Promise<RevenueRow[]> {
    if (rows.length === 0) return [];
    const col = <T>(f: (r: NewRevenue) => T): T[] => rows.map(f);
    return (await manager.query(
      `INSERT INTO revenue_entries (tenant_id, amount_usd, occurred_at, source, post_id, job_id, note, external_id)
       SELECT $1, * FROM unnest($2::numeric[], $3::timestamptz[], $4::text[], $5::uuid[], $6::uuid[], $7::text[], $8::text[])
       ON CONFLICT (tenant_id, source, external_id) WHERE external_id IS NOT NULL DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        tenantId,
        col((r) => r.amountUsd),
        col((r) => r.occurredAt),
        col((r) => r.source),
        col((r) => r.postId),
        col((r) => r.jobId),
        col((r) => r.note),
        col((r) => r.externalId),
      ],
    )) as RevenueRow[];
  }

  /** Exact sum (decimal string) of the revenue that occurred in [from, to). */
  async sum(tenantId: string, from: Date, to: Date): Promise<string> {
    const [row] = (await this.db.query(
      `SELECT coalesce(sum(amount_usd), 0)::text AS total FROM revenue_entries WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3`,
      [tenantId, from, to],
    )) as Array<{ total: string }>;
    return row?.total ?? '0';
  }

  /** Exact sums per UTC day or hour of [from, to) (only buckets with revenue). */
  async buckets(tenantId: string, from: Date, to: Date, unit: 'day' | 'hour'): Promise<Array<{ bucket: string; amountUsd: string }>> {
    return (await this.db.query(
      `SELECT to_char(date_trunc($4, occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS bucket, sum(amount_usd)::text AS "amountUsd"
         FROM revenue_entries WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3 GROUP BY 1 ORDER BY 1`,
      [tenantId, from, to, unit],
    )) as Array<{ bucket: string; amountUsd: string }>;
  }

  /** Newest first. */
  async list(tenantId: string, limit: number): Promise<RevenueRow[]> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM revenue_entries WHERE tenant_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2`, [
      tenantId,
      limit,
    ])) as RevenueRow[];
  }
}
