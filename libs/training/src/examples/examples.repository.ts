import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { ExampleRow, QualityRow } from './example-row';

/**
 * The examples of a batch (those of tenants that opted out are filtered in the statement itself, so the hot
 * path never reads settings) and the scores of earlier examples, in one statement. ON CONFLICT: a replayed
 * call (the same attempt prefix) leaves one example.
 */
const INSERT_MANY = `
WITH r AS (
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[], $7::int[], $8::text[], $9::int[],
    $10::text[], $11::jsonb[], $12::text[], $13::jsonb[], $14::boolean[], $15::text[], $16::text[], $17::text[], $18::int[], $19::int[],
    $20::numeric[], $21::int[], $22::numeric[], $23::boolean[], $24::timestamptz[], $28::text[], $29::text[])
    AS r(call_ref, tenant_id, source, job_id, item_id, profile_key, profile_version, step, round, operation, messages, output_text,
      output_json, structured, input_hash, model_id, provider_id, input_tokens, output_tokens, cost_usd, latency_ms, quality, emulated, created_at,
      complexity, ab_arm)
),
ins AS (
  INSERT INTO training_examples (call_ref, tenant_id, source, job_id, item_id, profile_key, profile_version, step, round, operation, messages,
    output_text, output_json, structured, input_hash, model_id, provider_id, input_tokens, output_tokens, cost_usd, latency_ms, quality, emulated, created_at,
    complexity, ab_arm)
  SELECT r.* FROM r
  WHERE NOT EXISTS (SELECT 1 FROM training_settings s WHERE s.tenant_id = r.tenant_id AND NOT s.record_examples)
  ON CONFLICT (call_ref) DO NOTHING
  RETURNING 1
),
upd AS (
  UPDATE training_examples e SET quality = u.quality
  FROM unnest($25::uuid[], $26::text[], $27::numeric[]) AS u(tenant_id, call_ref, quality)
  WHERE e.tenant_id = u.tenant_id AND e.call_ref = u.call_ref
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins)::int AS inserted, (SELECT count(*) FROM upd)::int AS updated`;

@Injectable()
export class ExamplesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get pool(): Pool {
    return (this.db.driver as PostgresDriver).master as Pool;
  }

  async insertMany(rows: ExampleRow[], scores: QualityRow[]): Promise<{ inserted: number; updated: number }> {
    if (rows.length === 0 && scores.length === 0) return { inserted: 0, updated: 0 };
    const col = <T>(f: (r: ExampleRow) => T): T[] => rows.map(f);
    const { rows: out } = await this.pool.query<{ inserted: number; updated: number }>({
      name: 'training:insert-examples',
      text: INSERT_MANY,
      values: [
        col((r) => r.callRef),
        col((r) => r.tenantId),
        col((r) => r.source),
        col((r) => r.jobId),
        col((r) => r.itemId),
        col((r) => r.profileKey),
        col((r) => r.profileVersion),
        col((r) => r.step),
        col((r) => r.round),
        col((r) => r.operation),
        col((r) => JSON.stringify(r.messages)),
        col((r) => r.outputText),
        col((r) => (r.outputJson === null || r.outputJson === undefined ? null : JSON.stringify(r.outputJson))),
        col((r) => r.structured),
        col((r) => r.inputHash),
        col((r) => r.modelId),
        col((r) => r.providerId),
        col((r) => r.inputTokens),
        col((r) => r.outputTokens),
        col((r) => r.costUsd),
        col((r) => r.latencyMs),
        col((r) => r.quality),
        col((r) => r.emulated),
        col((r) => r.createdAt),
        scores.map((s) => s.tenantId),
        scores.map((s) => s.callRef),
        scores.map((s) => s.quality),
        col((r) => r.complexity),
        col((r) => r.abArm),
      ],
    });
    return out[0] ?? { inserted: 0, updated: 0 };
  }
}

/** Which examples a list, an export or a dataset takes. */
export interface ExampleFilters {
  profileKey?: string;
  operation?: string;
  source?: string;
  model?: string;
  jobId?: string;
  itemId?: string;
  minRating?: number;
  approvedOnly?: boolean;
  from?: Date;
  to?: Date;
}

/** An example with its item's feedback (edits only when they correct this example). */
export interface ExampleWithFeedback {
  id: string;
  callRef: string;
  source: string;
  jobId: string | null;
  itemId: string | null;
  profileKey: string | null;
  profileVersion: number | null;
  step: string | null;
  round: number | null;
  operation: string;
  messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
  outputText: string;
  outputJson: unknown;
  structured: boolean;
  inputHash: string;
  modelId: string;
  providerId: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: string;
  latencyMs: number;
  quality: string | null;
  emulated: boolean;
  createdAt: Date;
  rating: number | null;
  approved: boolean | null;
  comment: string | null;
  edited: boolean;
  edits: unknown;
}

const SELECT_EXAMPLE = `
  e.id, e.call_ref AS "callRef", e.source, e.job_id AS "jobId", e.item_id AS "itemId", e.profile_key AS "profileKey",
  e.profile_version AS "profileVersion", e.step, e.round, e.operation, e.messages, e.output_text AS "outputText", e.output_json AS "outputJson",
  e.structured, e.input_hash AS "inputHash", e.model_id AS "modelId", e.provider_id AS "providerId", e.input_tokens AS "inputTokens",
  e.output_tokens AS "outputTokens", e.cost_usd::text AS "costUsd", e.latency_ms AS "latencyMs", e.quality::text AS quality, e.emulated,
  e.created_at AS "createdAt", f.rating, f.approved, f.comment, coalesce(f.example_id = e.id AND f.edits IS NOT NULL, false) AS edited,
  CASE WHEN f.example_id = e.id THEN f.edits END AS edits`;

const FROM_EXAMPLES = `FROM training_examples e LEFT JOIN training_feedback f ON f.tenant_id = e.tenant_id AND f.item_id = e.item_id`;

/** The WHERE clause of the filters, tenant first; parameters are appended to `params`. */
function whereOf(tenantId: string, filters: ExampleFilters, params: unknown[]): string {
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  const clauses = [`e.tenant_id = ${p(tenantId)}`];
  if (filters.profileKey) clauses.push(`e.profile_key = ${p(filters.profileKey)}`);
  if (filters.operation) clauses.push(`e.operation = ${p(filters.operation)}`);
  if (filters.source) clauses.push(`e.source = ${p(filters.source)}`);
  if (filters.model) clauses.push(`e.model_id = ${p(filters.model)}`);
  if (filters.jobId) clauses.push(`e.job_id = ${p(filters.jobId)}`);
  if (filters.itemId) clauses.push(`e.item_id = ${p(filters.itemId)}`);
  if (filters.minRating !== undefined) clauses.push(`f.rating >= ${p(filters.minRating)}`);
  if (filters.approvedOnly) clauses.push(`f.approved IS TRUE`);
  if (filters.from) clauses.push(`e.created_at >= ${p(filters.from)}`);
  if (filters.to) clauses.push(`e.created_at < ${p(filters.to)}`);
  return clauses.join(' AND ');
}

/** Reads of examples, always for one tenant. */
@Injectable()
export class ExamplesQueryRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Newest first, keyset-paginated on (created_at, id). */
  async page(tenantId: string, filters: ExampleFilters, options: { limit: number; after?: { createdAt: Date; id: string } }): Promise<ExampleWithFeedback[]> {
    const params: unknown[] = [];
    let where = whereOf(tenantId, filters, params);
    if (options.after) {
      params.push(options.after.createdAt, options.after.id);
      where += ` AND (e.created_at, e.id) < ($${params.length - 1}, $${params.length})`;
    }
    params.push(options.limit);
    return (await this.db.query(
      `SELECT ${SELECT_EXAMPLE} ${FROM_EXAMPLES} WHERE ${where} ORDER BY e.created_at DESC, e.id DESC LIMIT $${params.length}`,
      params,
    )) as ExampleWithFeedback[];
  }

  /**
   * One page of an export, oldest first on (created_at, id); with `dedupe`, one example per input hash (the
   * best rated, then approved, then corrected, then the newest), paged on the hash.
   */
  async exportPage(
    tenantId: string,
    filters: ExampleFilters,
    options: { limit: number; dedupe: boolean; after?: { createdAt: Date; id: string } | { inputHash: string } },
  ): Promise<ExampleWithFeedback[]> {
    const params: unknown[] = [];
    let where = whereOf(tenantId, filters, params);
    if (options.dedupe) {
      if (options.after && 'inputHash' in options.after) {
        params.push(options.after.inputHash);
        where += ` AND e.input_hash > $${params.length}`;
      }
      params.push(options.limit);
      return (await this.db.query(
        `SELECT DISTINCT ON (e.input_hash) ${SELECT_EXAMPLE} ${FROM_EXAMPLES} WHERE ${where}
         ORDER BY e.input_hash, f.rating DESC NULLS LAST, f.approved DESC NULLS LAST, (f.example_id = e.id AND f.edits IS NOT NULL) DESC NULLS LAST,
           e.created_at DESC, e.id DESC
         LIMIT $${params.length}`,
        params,
      )) as ExampleWithFeedback[];
    }
    if (options.after && 'createdAt' in options.after) {
      params.push(options.after.createdAt, options.after.id);
      where += ` AND (e.created_at, e.id) > ($${params.length - 1}, $${params.length})`;
    }
    params.push(options.limit);
    return (await this.db.query(
      `SELECT ${SELECT_EXAMPLE} ${FROM_EXAMPLES} WHERE ${where} ORDER BY e.created_at ASC, e.id ASC LIMIT $${params.length}`,
      params,
    )) as ExampleWithFeedback[];
  }

  /** The item's examples, newest first (feedback finds the one its edits correct). */
  async ofItem(tenantId: string, itemId: string): Promise<Array<{ id: string; step: string | null; round: number | null; createdAt: Date }>> {
    return (await this.db.query(
      `SELECT id, step, round, created_at AS "createdAt" FROM training_examples WHERE tenant_id = $1 AND item_id = $2 ORDER BY created_at DESC, round DESC NULLS LAST`,
      [tenantId, itemId],
    )) as Array<{ id: string; step: string | null; round: number | null; createdAt: Date }>;
  }

  /**
   * Deletes examples past their tenant's retention (default 90 days), at most `batch` of them; the number
   * deleted. Across tenants: maintenance only.
   */
  async deleteExpired(now: Date, batch: number, defaultDays: number): Promise<number> {
    const pool = (this.db.driver as PostgresDriver).master as Pool;
    const { rowCount } = await pool.query(
      `WITH doomed AS (
         SELECT e.id FROM training_examples e LEFT JOIN training_settings s ON s.tenant_id = e.tenant_id
         WHERE e.created_at < $1::timestamptz - make_interval(days => coalesce(s.retention_days, $3))
         LIMIT $2
       )
       DELETE FROM training_examples e USING doomed WHERE e.id = doomed.id`,
      [now, batch, defaultDays],
    );
    return rowCount ?? 0;
  }
}
