import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { CostGroupBy } from '@margin/contracts';
import type { Pool } from 'pg';
import { Repository } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { LlmCallEntity } from './llm-call.entity';

export interface SummaryTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** Exact decimal strings. */
  costUsd: string;
  savedUsd: string;
}

export interface SummaryGroup {
  key: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: string;
}

export interface LedgerBucketRow {
  bucket: string;
  calls: number;
  inputTokens: string;
  outputTokens: string;
  costUsd: string;
  routingSavedUsd: string;
  cacheSavedUsd: string;
  qualitySum: string;
  qualityCount: number;
}

const INSERT_MANY = `
INSERT INTO llm_calls (attempt_id, tenant_id, api_key_id, user_id, job_id, item_id, operation, provider_id, model_id,
  input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_usd, premium_model_id, premium_cost_usd,
  latency_ms, outcome, error_message, quality, routing_reason, fallback_from, emulated, created_at, ab_arm, complexity, tier)
SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::text[], $9::text[],
  $10::int[], $11::int[], $12::int[], $13::int[], $14::numeric[], $15::text[], $16::numeric[],
  $17::int[], $18::text[], $19::text[], $20::numeric[], $21::text[], $22::text[], $23::boolean[], $24::timestamptz[], $25::text[], $26::text[], $27::text[])
ON CONFLICT (attempt_id) DO NOTHING RETURNING attempt_id`;

const GROUP_EXPR: Record<CostGroupBy, string> = {
  provider: 'c.provider_id',
  model: 'c.model_id',
  operation: 'c.operation',
  day: `to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  job: `coalesce(c.job_id::text, 'none')`,
};

@Injectable()
export class LedgerRepository {
  constructor(@InjectRepository(LlmCallEntity) private readonly calls: Repository<LlmCallEntity>) {}

  /**
   * Books many attempts in one statement (ON CONFLICT DO NOTHING: idempotent per attempt id); one flag per
   * row, in order: true when that row was booked now. A repeated attempt id within the rows books once.
   * One fixed, prepared statement whatever the count (columns as arrays), straight on the pg pool.
   */
  async insertMany(rows: Array<Omit<LlmCallEntity, 'id'>>): Promise<boolean[]> {
    if (rows.length === 0) return [];
    const col = <T>(f: (r: Omit<LlmCallEntity, 'id'>) => T): T[] => rows.map(f);
    const pool = (this.calls.manager.connection.driver as PostgresDriver).master as Pool;
    const { rows: inserted } = await pool.query<{ attempt_id: string }>({
      name: 'ledger:insert-many-tier',
      text: INSERT_MANY,
      values: [
        col((r) => r.attemptId),
        col((r) => r.tenantId),
        col((r) => r.apiKeyId),
        col((r) => r.userId),
        col((r) => r.jobId),
        col((r) => r.itemId),
        col((r) => r.operation),
        col((r) => r.providerId),
        col((r) => r.modelId),
        col((r) => r.inputTokens),
        col((r) => r.cachedInputTokens),
        col((r) => r.outputTokens),
        col((r) => r.reasoningTokens),
        col((r) => r.costUsd),
        col((r) => r.premiumModelId),
        col((r) => r.premiumCostUsd),
        col((r) => r.latencyMs),
        col((r) => r.outcome),
        col((r) => r.errorMessage),
        col((r) => r.quality),
        col((r) => r.routingReason),
        col((r) => r.fallbackFrom),
        col((r) => r.emulated),
        col((r) => r.createdAt),
        col((r) => r.abArm),
        col((r) => r.complexity),
        col((r) => r.tier),
      ],
    });
    const fresh = new Set(inserted.map((r) => r.attempt_id));
    // The first row with an id gets the booking; a later one with the same id was booked already.
    return rows.map((row) => fresh.delete(row.attemptId));
  }

  /** Sets the quality of one booked attempt of the tenant; false when there is no such row. */
  async setQuality(tenantId: string, attemptId: string, quality: string): Promise<boolean> {
    const result = await this.calls.update({ tenantId, attemptId }, { quality });
    return (result.affected ?? 0) > 0;
  }

  /** Exact sum of cost (decimal string) in [from, to), optionally for one job. */
  async sumCost(tenantId: string, range: { from?: Date; to?: Date; jobId?: string }): Promise<string> {
    const qb = this.calls.createQueryBuilder('c').select('coalesce(sum(c.cost_usd), 0)::text', 'total').where('c.tenant_id = :tenantId', { tenantId });
    if (range.from) qb.andWhere('c.created_at >= :from', { from: range.from });
    if (range.to) qb.andWhere('c.created_at < :to', { to: range.to });
    if (range.jobId) qb.andWhere('c.job_id = :jobId', { jobId: range.jobId });
    const row = await qb.getRawOne<{ total: string }>();
    return row?.total ?? '0';
  }

  async totals(tenantId: string, from: Date, to: Date): Promise<SummaryTotals> {
    const row = await this.calls
      .createQueryBuilder('c')
      .select('count(*)::int', 'calls')
      .addSelect('coalesce(sum(c.input_tokens), 0)::bigint::text', 'input')
      .addSelect('coalesce(sum(c.output_tokens), 0)::bigint::text', 'output')
      .addSelect('coalesce(sum(c.cost_usd), 0)::text', 'cost')
      .addSelect(`coalesce(sum(greatest(c.premium_cost_usd - c.cost_usd, 0)) FILTER (WHERE c.outcome = 'success'), 0)::text`, 'saved')
      .where('c.tenant_id = :tenantId AND c.created_at >= :from AND c.created_at < :to', { tenantId, from, to })
      .getRawOne<{ calls: number; input: string; output: string; cost: string; saved: string }>();
    return {
      calls: row?.calls ?? 0,
      inputTokens: Number(row?.input ?? 0),
      outputTokens: Number(row?.output ?? 0),
      costUsd: row?.cost ?? '0',
      savedUsd: row?.saved ?? '0',
    };
  }

  async groups(tenantId: string, from: Date, to: Date, groupBy: CostGroupBy): Promise<SummaryGroup[]> {
    const expr = GROUP_EXPR[groupBy];
    const rows = await this.calls
      .createQueryBuilder('c')
      .select(expr, 'key')
      .addSelect('count(*)::int', 'calls')
      .addSelect('coalesce(sum(c.input_tokens), 0)::bigint::text', 'input')
      .addSelect('coalesce(sum(c.output_tokens), 0)::bigint::text', 'output')
      .addSelect('coalesce(sum(c.cost_usd), 0)::text', 'cost')
      .where('c.tenant_id = :tenantId AND c.created_at >= :from AND c.created_at < :to', { tenantId, from, to })
      .groupBy(expr)
      .orderBy(groupBy === 'day' ? expr : 'sum(c.cost_usd)', groupBy === 'day' ? 'ASC' : 'DESC')
      .getRawMany<{ key: string; calls: number; input: string; output: string; cost: string }>();
    return rows.map((r) => ({ key: r.key, calls: r.calls, inputTokens: Number(r.input), outputTokens: Number(r.output), costUsd: r.cost }));
  }

  /** Idempotent per key: a replayed cache hit is not counted twice. */
  async insertSavingOnce(row: {
    key: string;
    tenantId: string;
    jobId: string | null;
    itemId: string | null;
    kind: 'cache';
    amountUsd: string;
    at: Date;
  }): Promise<boolean> {
    const rows: unknown[] = await this.calls.manager.query(
      `INSERT INTO cost_savings (key, tenant_id, job_id, item_id, kind, amount_usd, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (key) DO NOTHING RETURNING id`,
      [row.key, row.tenantId, row.jobId, row.itemId, row.kind, row.amountUsd, row.at],
    );
    return rows.length > 0;
  }

  /** Many savings in one statement, idempotent per key like insertSavingOnce. */
  async insertSavings(
    rows: Array<{ key: string; tenantId: string; jobId: string | null; itemId: string | null; kind: 'cache'; amountUsd: string; at: Date }>,
  ): Promise<void> {
    if (rows.length === 0) return;
    const col = <T>(f: (r: (typeof rows)[number]) => T): T[] => rows.map(f);
    await this.calls.manager.query(
      `INSERT INTO cost_savings (key, tenant_id, job_id, item_id, kind, amount_usd, created_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::numeric[], $7::timestamptz[])
       ON CONFLICT (key) DO NOTHING`,
      [col((r) => r.key), col((r) => r.tenantId), col((r) => r.jobId), col((r) => r.itemId), col((r) => r.kind), col((r) => r.amountUsd), col((r) => r.at)],
    );
  }

  async sumSavings(tenantId: string, from: Date, to: Date): Promise<string> {
    const [row] = (await this.calls.manager.query(
      `SELECT coalesce(sum(amount_usd), 0)::text AS total FROM cost_savings WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3`,
      [tenantId, from, to],
    )) as Array<{ total: string }>;
    return row?.total ?? '0';
  }

  /**
   * Per UTC bucket (day or hour) of [from, to): the same figures as `totals` (plus cache savings and the quality
   * scores), so that buckets sum exactly to the summary of the same range. Exact decimal strings.
   */
  async buckets(tenantId: string, from: Date, to: Date, unit: 'day' | 'hour'): Promise<LedgerBucketRow[]> {
    return (await this.calls.manager.query(
      `WITH calls AS (
         SELECT date_trunc($4, c.created_at AT TIME ZONE 'UTC') AS b, count(*)::int AS calls,
                coalesce(sum(c.input_tokens), 0)::bigint::text AS input, coalesce(sum(c.output_tokens), 0)::bigint::text AS output,
                coalesce(sum(c.cost_usd), 0)::text AS cost,
                coalesce(sum(greatest(c.premium_cost_usd - c.cost_usd, 0)) FILTER (WHERE c.outcome = 'success'), 0)::text AS saved,
                coalesce(sum(c.quality), 0)::text AS quality_sum, count(c.quality)::int AS quality_count
           FROM llm_calls c WHERE c.tenant_id = $1 AND c.created_at >= $2 AND c.created_at < $3 GROUP BY 1),
       savings AS (
         SELECT date_trunc($4, s.created_at AT TIME ZONE 'UTC') AS b, coalesce(sum(s.amount_usd), 0)::text AS cache
           FROM cost_savings s WHERE s.tenant_id = $1 AND s.created_at >= $2 AND s.created_at < $3 GROUP BY 1)
       SELECT to_char(coalesce(c.b, s.b), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "bucket", coalesce(c.calls, 0) AS "calls",
              coalesce(c.input, '0') AS "inputTokens", coalesce(c.output, '0') AS "outputTokens", coalesce(c.cost, '0') AS "costUsd",
              coalesce(c.saved, '0') AS "routingSavedUsd", coalesce(s.cache, '0') AS "cacheSavedUsd",
              coalesce(c.quality_sum, '0') AS "qualitySum", coalesce(c.quality_count, 0) AS "qualityCount"
         FROM calls c FULL JOIN savings s ON s.b = c.b ORDER BY 1`,
      [tenantId, from, to, unit],
    )) as LedgerBucketRow[];
  }

  /** Per model and operation in [from, to): calls, exact cost, and the quality scores recorded on them. */
  async modelQuality(
    tenantId: string,
    from: Date,
    to: Date,
  ): Promise<Array<{ model: string; operation: string; calls: number; costUsd: string; scored: number; qualitySum: string }>> {
    return this.calls
      .createQueryBuilder('c')
      .select('c.model_id', 'model')
      .addSelect('c.operation', 'operation')
      .addSelect('count(*)::int', 'calls')
      .addSelect('coalesce(sum(c.cost_usd), 0)::text', 'costUsd')
      .addSelect('count(c.quality)::int', 'scored')
      .addSelect('coalesce(sum(c.quality), 0)::text', 'qualitySum')
      .where('c.tenant_id = :tenantId AND c.created_at >= :from AND c.created_at < :to', { tenantId, from, to })
      .groupBy('c.model_id')
      .addGroupBy('c.operation')
      .orderBy('c.model_id')
      .addOrderBy('c.operation')
      .getRawMany();
  }

  /** Calls per A/B arm of every split policy cell in [from, to): attempts, failures and exact cost. */
  async armStats(
    tenantId: string,
    from: Date,
    to: Date,
  ): Promise<Array<{ operation: string; complexity: string | null; arm: string; model: string; calls: number; failures: number; costUsd: string }>> {
    return this.calls
      .createQueryBuilder('c')
      .select('c.operation', 'operation')
      .addSelect('c.complexity', 'complexity')
      .addSelect('c.ab_arm', 'arm')
      .addSelect('c.model_id', 'model')
      .addSelect('count(*)::int', 'calls')
      .addSelect(`count(*) FILTER (WHERE c.outcome <> 'success')::int`, 'failures')
      .addSelect('coalesce(sum(c.cost_usd), 0)::text', 'costUsd')
      .where('c.tenant_id = :tenantId AND c.created_at >= :from AND c.created_at < :to AND c.ab_arm IS NOT NULL', { tenantId, from, to })
      .groupBy('c.operation')
      .addGroupBy('c.complexity')
      .addGroupBy('c.ab_arm')
      .addGroupBy('c.model_id')
      .orderBy('c.operation')
      .addOrderBy('c.complexity')
      .addOrderBy('c.ab_arm')
      .getRawMany();
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async page(tenantId: string, options: { jobId?: string; limit: number; after?: { createdAt: Date; id: string } }): Promise<LlmCallEntity[]> {
    const qb = this.calls.createQueryBuilder('c').where('c.tenant_id = :tenantId', { tenantId });
    if (options.jobId) qb.andWhere('c.job_id = :jobId', { jobId: options.jobId });
    if (options.after) qb.andWhere('(c.created_at, c.id) < (:at, :id)', { at: options.after.createdAt, id: options.after.id });
    return qb.orderBy('c.created_at', 'DESC').addOrderBy('c.id', 'DESC').limit(options.limit).getMany();
  }
}
