import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DeliveryEngagement, DeliveryStatus } from '@margin/contracts';
import { DataSource, Repository } from 'typeorm';
import { DeliveryEntity } from './delivery.entity';

/** A delivery as the queue processor claimed it: `attempts` (counting this one) is its claim token. */
export type ClaimedDelivery = DeliveryEntity;

export interface PublishOutcome {
  status: 'published' | 'scheduled';
  remoteId: string;
  remoteUrl: string | null;
  at: Date;
  remoteModifiedAt: Date | null;
  remoteHash: string | null;
}

const COLUMNS = `id, tenant_id, post_id, endpoint_id, status, revision, remote_id, remote_url, attempts, last_error, next_attempt_at, scheduled_at,
  lease_until, published_at, last_written_at, remote_modified_at, remote_hash, conflict, engagement, synced_at, created_at, updated_at`;

function toEntity(r: Record<string, unknown>): DeliveryEntity {
  const d = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return Object.assign(new DeliveryEntity(), {
    id: r['id'],
    tenantId: r['tenant_id'],
    postId: r['post_id'],
    endpointId: r['endpoint_id'],
    status: r['status'],
    revision: r['revision'],
    remoteId: r['remote_id'] ?? null,
    remoteUrl: r['remote_url'] ?? null,
    attempts: r['attempts'],
    lastError: r['last_error'] ?? null,
    nextAttemptAt: d(r['next_attempt_at']),
    scheduledAt: d(r['scheduled_at']),
    leaseUntil: d(r['lease_until']),
    publishedAt: d(r['published_at']),
    lastWrittenAt: d(r['last_written_at']),
    remoteModifiedAt: d(r['remote_modified_at']),
    remoteHash: r['remote_hash'] ?? null,
    conflict: r['conflict'] ?? null,
    engagement: r['engagement'] ?? null,
    syncedAt: d(r['synced_at']),
    createdAt: d(r['created_at']),
    updatedAt: d(r['updated_at']),
  } as Partial<DeliveryEntity>);
}

const LIVE_CLAIM = `(deliveries.status = 'publishing' AND deliveries.lease_until > EXCLUDED.updated_at)`;

/**
 * What a claim's outcome becomes when a publish request came in meanwhile (the revision moved on): the delivery
 * goes back to `pending` for the new request, with fresh attempts and the request's own timing.
 */
const SUPERSEDED = (rev: string) => ({
  status: (outcome: string) => `CASE WHEN revision = ${rev} THEN ${outcome} ELSE 'pending' END`,
  attempts: `CASE WHEN revision = ${rev} THEN attempts ELSE 0 END`,
  nextAttemptAt: (outcome: string) => `CASE WHEN revision = ${rev} THEN ${outcome} ELSE next_attempt_at END`,
  lastError: (outcome: string) => `CASE WHEN revision = ${rev} THEN ${outcome} ELSE NULL END`,
});

/**
 * Deliveries (post × endpoint). Every status change is one conditional UPDATE, so two workers (or a worker
 * and the sweep) can never both own a delivery: the claim takes it only from a claimable state, and each
 * outcome is written only while the claim (status `publishing` with the same attempt count) still holds.
 */
@Injectable()
export class DeliveriesRepository {
  constructor(
    @InjectRepository(DeliveryEntity) private readonly deliveries: Repository<DeliveryEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  private async rows(sql: string, params: unknown[]): Promise<DeliveryEntity[]> {
    const result = (await this.db.query(sql, params)) as unknown;
    // UPDATE … RETURNING answers [rows, count] through TypeORM's postgres driver
    const rows = Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as Array<Record<string, unknown>>) : (result as Array<Record<string, unknown>>);
    return rows.map(toEntity);
  }

  find(tenantId: string, id: string): Promise<DeliveryEntity | null> {
    return this.deliveries.findOneBy({ tenantId, id });
  }

  listByPost(tenantId: string, postId: string): Promise<DeliveryEntity[]> {
    return this.deliveries.find({ where: { tenantId, postId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * A publish request for (post, endpoint): the one delivery row is created, or reset to go out again with a
   * new revision (its remote id kept, so the remote copy is updated, not duplicated). `clearConflict`: the
   * caller forced it over a remote edit or deletion (a deleted copy is then created anew).
   */
  async request(
    tenantId: string,
    postId: string,
    endpointId: string,
    r: { status: 'pending' | 'scheduled'; scheduledAt: Date | null; nextAttemptAt: Date | null; clearConflict: boolean; at: Date },
  ): Promise<DeliveryEntity> {
    const [row] = await this.rows(
      `INSERT INTO deliveries (tenant_id, post_id, endpoint_id, status, scheduled_at, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
       ON CONFLICT (post_id, endpoint_id) DO UPDATE SET
         -- a worker holding a live claim keeps it (and its token): it finds the revision moved on when it finishes
         -- and hands the delivery back for the new request, so two workers never write one remote copy at once
         status = CASE WHEN ${LIVE_CLAIM} THEN deliveries.status ELSE EXCLUDED.status END,
         attempts = CASE WHEN ${LIVE_CLAIM} THEN deliveries.attempts ELSE 0 END,
         lease_until = CASE WHEN ${LIVE_CLAIM} THEN deliveries.lease_until ELSE NULL END,
         revision = deliveries.revision + 1, last_error = NULL,
         scheduled_at = EXCLUDED.scheduled_at, next_attempt_at = EXCLUDED.next_attempt_at, updated_at = EXCLUDED.updated_at,
         remote_id = CASE WHEN $8::boolean AND deliveries.conflict = 'deleted' THEN NULL ELSE deliveries.remote_id END,
         remote_url = CASE WHEN $8::boolean AND deliveries.conflict = 'deleted' THEN NULL ELSE deliveries.remote_url END,
         conflict = CASE WHEN $8::boolean THEN NULL ELSE deliveries.conflict END
       WHERE deliveries.tenant_id = EXCLUDED.tenant_id
       RETURNING ${COLUMNS}`,
      [tenantId, postId, endpointId, r.status, r.scheduledAt, r.nextAttemptAt, r.at, r.clearConflict],
    );
    if (!row) throw new Error(`delivery of post ${postId} to endpoint ${endpointId} not written`);
    return row;
  }

  /**
   * Takes a delivery for this worker until `leaseUntil`, counting the attempt; null when it is not due or not
   * claimable (published, failed, owned by another worker, or held remotely by the platform's scheduler).
   */
  async claim(tenantId: string, id: string, now: Date, leaseUntil: Date): Promise<ClaimedDelivery | null> {
    const [row] = await this.rows(
      `UPDATE deliveries SET status = 'publishing', attempts = attempts + 1, lease_until = $4, next_attempt_at = NULL, updated_at = $3
       WHERE tenant_id = $1 AND id = $2
         AND (status = 'pending' OR (status = 'scheduled' AND remote_id IS NULL))
         AND coalesce(next_attempt_at, '-infinity') <= $3::timestamptz + interval '1 second'
       RETURNING ${COLUMNS}`,
      [tenantId, id, now, leaseUntil],
    );
    return row ?? null;
  }

  /** Whatever happens next, a remote copy that exists is recorded (the claim need not hold: never lose a remote id). */
  async recordRemote(tenantId: string, id: string, remoteId: string, remoteUrl: string | null): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET remote_id = $3, remote_url = coalesce($4, remote_url) WHERE tenant_id = $1 AND id = $2 AND (remote_id IS NULL OR remote_id = $3)`,
      [tenantId, id, remoteId, remoteUrl],
    );
  }

  /** The claim (`attempts`, `revision`) published its copy; a newer request then still goes out (see SUPERSEDED). */
  async markPublished(tenantId: string, id: string, claim: { attempts: number; revision: number }, o: PublishOutcome): Promise<DeliveryEntity | null> {
    const x = SUPERSEDED('$10');
    const [row] = await this.rows(
      `UPDATE deliveries SET status = ${x.status('$4::varchar')}, attempts = ${x.attempts}, next_attempt_at = ${x.nextAttemptAt('NULL')},
         remote_id = $5, remote_url = $6, lease_until = NULL, last_error = NULL,
         published_at = CASE WHEN $4::varchar = 'published' THEN coalesce(published_at, $7) ELSE published_at END,
         last_written_at = $7, remote_modified_at = $8, remote_hash = $9, conflict = NULL, synced_at = $7, updated_at = $7
       WHERE tenant_id = $1 AND id = $2 AND status = 'publishing' AND attempts = $3
       RETURNING ${COLUMNS}`,
      [tenantId, id, claim.attempts, o.status, o.remoteId, o.remoteUrl, o.at, o.remoteModifiedAt, o.remoteHash, claim.revision],
    );
    return row ?? null;
  }

  async markRetry(
    tenantId: string,
    id: string,
    claim: { attempts: number; revision: number },
    error: string,
    nextAttemptAt: Date,
    at: Date,
  ): Promise<DeliveryEntity | null> {
    const x = SUPERSEDED('$7');
    const [row] = await this.rows(
      `UPDATE deliveries SET status = 'pending', attempts = ${x.attempts}, lease_until = NULL, last_error = ${x.lastError('$4')},
         next_attempt_at = ${x.nextAttemptAt('$5::timestamptz')}, updated_at = $6
       WHERE tenant_id = $1 AND id = $2 AND status = 'publishing' AND attempts = $3
       RETURNING ${COLUMNS}`,
      [tenantId, id, claim.attempts, error, nextAttemptAt, at, claim.revision],
    );
    return row ?? null;
  }

  async markFailed(tenantId: string, id: string, claim: { attempts: number; revision: number }, error: string, at: Date): Promise<DeliveryEntity | null> {
    const x = SUPERSEDED('$6');
    const [row] = await this.rows(
      `UPDATE deliveries SET status = ${x.status(`'failed'`)}, attempts = ${x.attempts}, lease_until = NULL, last_error = ${x.lastError('$4')},
         next_attempt_at = ${x.nextAttemptAt('NULL')}, updated_at = $5
       WHERE tenant_id = $1 AND id = $2 AND status = 'publishing' AND attempts = $3
       RETURNING ${COLUMNS}`,
      [tenantId, id, claim.attempts, error, at, claim.revision],
    );
    return row ?? null;
  }

  /** A failed (or pending) delivery goes out again now with a fresh count of attempts (same revision). */
  async retry(tenantId: string, id: string, at: Date): Promise<DeliveryEntity | null> {
    const [row] = await this.rows(
      `UPDATE deliveries SET status = 'pending', attempts = 0, last_error = NULL, next_attempt_at = NULL, lease_until = NULL, updated_at = $3
       WHERE tenant_id = $1 AND id = $2 AND status IN ('failed', 'pending')
       RETURNING ${COLUMNS}`,
      [tenantId, id, at],
    );
    return row ?? null;
  }

  /**
   * Takes a scheduled delivery back: `cancelled`, its schedule and any queued entry void (the revision moves
   * on). Null unless it was `scheduled` (a worker may hold it right now). The remote id stays: publishing
   * again updates the copy the platform holds.
   */
  async cancel(tenantId: string, id: string, at: Date): Promise<DeliveryEntity | null> {
    const [row] = await this.rows(
      `UPDATE deliveries SET status = 'cancelled', scheduled_at = NULL, next_attempt_at = NULL, lease_until = NULL, last_error = NULL,
              revision = revision + 1, updated_at = $3
       WHERE tenant_id = $1 AND id = $2 AND status = 'scheduled'
       RETURNING ${COLUMNS}`,
      [tenantId, id, at],
    );
    return row ?? null;
  }

  /** Deliveries left in `publishing` past their lease (their worker died or hung), oldest first. Across tenants: the sweep's job. */
  async stuck(now: Date, limit: number): Promise<DeliveryEntity[]> {
    return this.rows(`SELECT ${COLUMNS} FROM deliveries WHERE status = 'publishing' AND lease_until < $1 ORDER BY lease_until LIMIT $2`, [now, limit]);
  }

  /** Takes a stuck delivery back from its lost worker: pending again (or already resolved by the caller). */
  async releaseStuck(tenantId: string, id: string, attempts: number, now: Date, error: string): Promise<DeliveryEntity | null> {
    const [row] = await this.rows(
      `UPDATE deliveries SET status = 'pending', lease_until = NULL, next_attempt_at = NULL, last_error = $5, updated_at = $4
       WHERE tenant_id = $1 AND id = $2 AND status = 'publishing' AND attempts = $3 AND lease_until < $4
       RETURNING ${COLUMNS}`,
      [tenantId, id, attempts, now, error],
    );
    return row ?? null;
  }

  /** Due deliveries whose queue entry should have run by `before` (Redis lost it): the sweep queues them again. */
  async overdue(before: Date, limit: number): Promise<DeliveryEntity[]> {
    return this.rows(
      `SELECT ${COLUMNS} FROM deliveries
       WHERE (status = 'pending' OR (status = 'scheduled' AND remote_id IS NULL)) AND coalesce(next_attempt_at, updated_at) < $1
       ORDER BY coalesce(next_attempt_at, updated_at) LIMIT $2`,
      [before, limit],
    );
  }

  /** Published (or platform-scheduled) copies to read back, least recently synced first. Across tenants: the sync job's. */
  async toSync(syncedBefore: Date, limit: number): Promise<DeliveryEntity[]> {
    return this.rows(
      `SELECT ${COLUMNS} FROM deliveries
       WHERE status IN ('published', 'scheduled') AND remote_id IS NOT NULL AND conflict IS NULL AND (synced_at IS NULL OR synced_at < $1)
       ORDER BY synced_at NULLS FIRST LIMIT $2`,
      [syncedBefore, limit],
    );
  }

  /** What sync back read; only over the state it read (a publish in between wins). */
  async recordSync(
    tenantId: string,
    id: string,
    seen: { status: DeliveryStatus; updatedAt: Date },
    s: {
      conflict: 'edited' | 'deleted' | null;
      engagement: DeliveryEngagement | null;
      status: 'published' | 'scheduled';
      remoteUrl: string | null;
      at: Date;
      baseline?: { modifiedAt: Date | null; hash: string | null };
    },
  ): Promise<DeliveryEntity | null> {
    const [row] = await this.rows(
      `UPDATE deliveries SET conflict = $5, engagement = coalesce($6::jsonb, engagement), status = $7::varchar, remote_url = coalesce($8, remote_url), synced_at = $9,
         published_at = CASE WHEN $7::varchar = 'published' THEN coalesce(published_at, $9) ELSE published_at END,
         remote_modified_at = CASE WHEN $10::boolean THEN $11::timestamptz ELSE remote_modified_at END, remote_hash = CASE WHEN $10::boolean THEN $12::text ELSE remote_hash END
       WHERE tenant_id = $1 AND id = $2 AND status = $3 AND updated_at = $4
       RETURNING ${COLUMNS}`,
      [
        tenantId,
        id,
        seen.status,
        seen.updatedAt,
        s.conflict,
        s.engagement ? JSON.stringify(s.engagement) : null,
        s.status,
        s.remoteUrl,
        s.at,
        s.baseline !== undefined,
        s.baseline?.modifiedAt ?? null,
        s.baseline?.hash ?? null,
      ],
    );
    return row ?? null;
  }
}
