import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Output lengths of an operation's recent successful calls (the tenant's own): what estimates learn from. */
export interface OutputTokenStats {
  operation: string;
  calls: number;
  p50: number;
  p95: number;
}

/** Latency of a model's recent successful calls for an operation (the tenant's own). */
export interface LatencyStats {
  modelId: string;
  operation: string;
  calls: number;
  p50Ms: number;
  /** Milliseconds per output token at the median (the pace of generation). */
  msPerOutputToken: number;
}

/** How many recent calls per operation (or model) the figures are taken over: a rolling window. */
export const STATS_WINDOW = 500;

/**
 * Rolling figures over the ledger for estimates (plans): output-token percentiles per operation and latency per
 * model and operation, over each one's last STATS_WINDOW successful calls of the tenant.
 */
@Injectable()
export class LedgerUsageStatsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async outputTokens(tenantId: string, operations: readonly string[]): Promise<Map<string, OutputTokenStats>> {
    if (operations.length === 0) return new Map();
    const rows = (await this.db.query(
      `SELECT op AS operation, count(c.output_tokens)::int AS calls,
              coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY c.output_tokens), 0)::float8 AS p50,
              coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY c.output_tokens), 0)::float8 AS p95
         FROM unnest($2::text[]) AS op
         CROSS JOIN LATERAL (
           SELECT output_tokens FROM llm_calls
            WHERE tenant_id = $1 AND operation = op AND outcome = 'success'
            ORDER BY created_at DESC LIMIT ${STATS_WINDOW}
         ) c
        GROUP BY op`,
      [tenantId, [...new Set(operations)]],
    )) as OutputTokenStats[];
    return new Map(rows.map((r) => [r.operation, r]));
  }

  /** Keyed `${modelId}|${operation}`. */
  async latency(tenantId: string, pairs: ReadonlyArray<{ modelId: string; operation: string }>): Promise<Map<string, LatencyStats>> {
    if (pairs.length === 0) return new Map();
    const rows = (await this.db.query(
      `SELECT p.model AS "modelId", p.op AS operation, count(c.latency_ms)::int AS calls,
              coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY c.latency_ms), 0)::float8 AS "p50Ms",
              coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY c.latency_ms::float8 / greatest(c.output_tokens, 1)), 0)::float8 AS "msPerOutputToken"
         FROM unnest($2::text[], $3::text[]) AS p(model, op)
         CROSS JOIN LATERAL (
           SELECT latency_ms, output_tokens FROM llm_calls
            WHERE tenant_id = $1 AND model_id = p.model AND operation = p.op AND outcome = 'success'
            ORDER BY created_at DESC LIMIT ${STATS_WINDOW}
         ) c
        GROUP BY p.model, p.op`,
      [tenantId, pairs.map((p) => p.modelId), pairs.map((p) => p.operation)],
    )) as LatencyStats[];
    return new Map(rows.map((r) => [`${r.modelId}|${r.operation}`, r]));
  }
}
