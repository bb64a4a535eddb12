import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

export interface CacheRow {
  output: unknown;
  quality: string | null;
  model: string | null;
  provider: string | null;
  /** Exact decimal string. */
  cost: string;
  /** What producing it would have cost on the savings counterfactual (the cost itself for entries from before it was kept). */
  counterfactual: string;
}

export interface CacheValue {
  output: unknown;
  quality: number | null;
  model: string | null;
  provider: string | null;
  /** Exact decimal string. */
  costUsd: string;
  /** Exact decimal string: what producing it would have cost on the savings counterfactual. */
  counterfactualUsd: string;
}

export interface CacheAddress {
  profileKey: string;
  profileVersion: number;
  scope: string;
  inputHash: string;
}

/** Hits of one entry to count: `count` more (0 when counted elsewhere), the latest at `lastAt`. */
export interface CacheHitCount {
  address: CacheAddress;
  count: number;
  lastAt: Date;
}

const WHERE = 'profile_key = $1 AND profile_version = $2 AND scope = $3 AND input_hash = $4';
const COUNTERFACTUAL = 'coalesce(counterfactual_cost_usd, original_cost_usd)::text';
const COLUMNS = `output, quality::text AS quality, model, provider, original_cost_usd::text AS cost, ${COUNTERFACTUAL} AS counterfactual`;

/** The content-hash cache is shared across tenants for `global` profiles, so it is addressed by scope, not by tenant. */
@Injectable()
export class AnalysisCacheRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Every item looks here: straight to the pg pool, without TypeORM's query runner per statement. */
  private async sql<T>(text: string, values: unknown[], name?: string): Promise<T[]> {
    return (await ((this.db.driver as PostgresDriver).master as Pool).query({ text, values, ...(name ? { name } : {}) })).rows as T[];
  }

  private params(a: CacheAddress): unknown[] {
    return [a.profileKey, a.profileVersion, a.scope, a.inputHash];
  }

  /** The entry, counting the hit. */
  async hit(a: CacheAddress, at: Date): Promise<CacheRow | null> {
    const [row] = await this.sql<CacheRow>(
      `UPDATE analysis_cache SET hit_count = hit_count + 1, last_hit_at = $5 WHERE ${WHERE} RETURNING ${COLUMNS}`,
      [...this.params(a), at],
      'worker:cache-hit',
    );
    return row ?? null;
  }

  async find(a: CacheAddress): Promise<CacheRow | null> {
    const [row] = await this.sql<CacheRow>(`SELECT ${COLUMNS} FROM analysis_cache WHERE ${WHERE}`, this.params(a), 'worker:cache-find');
    return row ?? null;
  }

  /** Which of these hashes each of the scopes holds (one statement for all of them). */
  async existingHashes(a: Omit<CacheAddress, 'inputHash' | 'scope'>, scopes: string[], hashes: string[]): Promise<Array<{ scope: string; inputHash: string }>> {
    const rows = (await this.db.query(
      `SELECT scope, input_hash FROM analysis_cache WHERE profile_key = $1 AND profile_version = $2 AND scope = ANY($3) AND input_hash = ANY($4)`,
      [a.profileKey, a.profileVersion, scopes, hashes],
    )) as Array<{ scope: string; input_hash: string }>;
    return rows.map((r) => ({ scope: r.scope, inputHash: r.input_hash }));
  }

  /** Many entries in one statement; first writer wins per address (a concurrent identical result is dropped). */
  async insertMany(entries: Array<{ address: CacheAddress; value: CacheValue; at: Date }>): Promise<void> {
    if (entries.length === 0) return;
    const col = <T>(f: (e: (typeof entries)[number]) => T): T[] => entries.map(f);
    await this.sql(
      `INSERT INTO analysis_cache (profile_key, profile_version, scope, input_hash, output, quality, model, provider, original_cost_usd, created_at,
         counterfactual_cost_usd)
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::jsonb[], $6::numeric[], $7::text[], $8::text[], $9::numeric[], $10::timestamptz[],
         $11::numeric[])
       ON CONFLICT (profile_key, profile_version, scope, input_hash) DO NOTHING`,
      [
        col((e) => e.address.profileKey),
        col((e) => e.address.profileVersion),
        col((e) => e.address.scope),
        col((e) => e.address.inputHash),
        col((e) => JSON.stringify(e.value.output)),
        col((e) => e.value.quality),
        col((e) => e.value.model),
        col((e) => e.value.provider),
        col((e) => e.value.costUsd),
        col((e) => e.at),
        col((e) => e.value.counterfactualUsd),
      ],
      'worker:cache-insert-many',
    );
  }
  /**
   * Adds hits to the entries' hit_count and last_hit_at in one statement (summed per entry first, so each row
   * is updated once) and returns what each addressed entry cost to produce, read as it was (the cost never
   * changes).
   */
  async countHits(hits: CacheHitCount[]): Promise<Array<CacheAddress & { cost: string; counterfactual: string }>> {
    const col = <T>(f: (h: CacheHitCount) => T) => hits.map(f);
    const params = [
      col((h) => h.address.profileKey),
      col((h) => h.address.profileVersion),
      col((h) => h.address.scope),
      col((h) => h.address.inputHash),
      col((h) => h.count),
      col((h) => h.lastAt.toISOString()),
    ];
    const rows = `unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[], $6::timestamptz[])
                  AS h(profile_key, profile_version, scope, input_hash, count, last_at)`;
    const entry = (t: string) =>
      `c.profile_key = ${t}.profile_key AND c.profile_version = ${t}.profile_version AND c.scope = ${t}.scope AND c.input_hash = ${t}.input_hash`;
    const costs = (await this.db.query(
      `WITH counted AS (
         UPDATE analysis_cache c SET hit_count = c.hit_count + s.count, last_hit_at = greatest(coalesce(c.last_hit_at, s.last_at), s.last_at)
         FROM (SELECT profile_key, profile_version, scope, input_hash, sum(count)::int AS count, max(last_at) AS last_at FROM ${rows}
               GROUP BY profile_key, profile_version, scope, input_hash) s
         WHERE ${entry('s')} AND s.count > 0)
       SELECT c.profile_key, c.profile_version, c.scope, c.input_hash, c.original_cost_usd::text AS cost,
              coalesce(c.counterfactual_cost_usd, c.original_cost_usd)::text AS counterfactual
       FROM analysis_cache c JOIN (SELECT DISTINCT profile_key, profile_version, scope, input_hash FROM ${rows}) e ON ${entry('e')}`,
      params,
    )) as Array<{ profile_key: string; profile_version: number; scope: string; input_hash: string; cost: string; counterfactual: string }>;
    return costs.map((r) => ({
      profileKey: r.profile_key,
      profileVersion: r.profile_version,
      scope: r.scope,
      inputHash: r.input_hash,
      cost: r.cost,
      counterfactual: r.counterfactual,
    }));
  }
}
