import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ChatRequest, ChatResult } from '@margin/providers';
import type { DataSource, EntityManager } from 'typeorm';
import type { QueuedGroup } from './batch-policy';

export type BatchRequestState = 'queued' | 'submitted' | 'succeeded' | 'failed';

/** One item call in the batch tier: its `id` is the request's custom_id at the provider and its ledger key. */
export interface BatchRequestRow {
  id: string;
  callKey: string;
  tenantId: string;
  apiKeyId: string | null;
  userId: string | null;
  jobId: string | null;
  itemId: string | null;
  operation: string;
  complexity: string | null;
  providerId: string;
  modelId: string;
  request: ChatRequest;
  estimatedTokens: number;
  state: BatchRequestState;
  batchId: string | null;
  result: ChatResult | null;
  costUsd: string | null;
  outcome: string | null;
  error: string | null;
  retryable: boolean | null;
  rounds: number;
  deadline: Date | null;
  createdAt: Date;
}

export interface BatchRow {
  id: string;
  providerId: string;
  modelId: string;
  state: 'submitting' | 'submitted' | 'ended' | 'failed';
  remoteId: string | null;
  remoteStatus: string | null;
  requestCount: number;
  createdAt: Date;
  submittedAt: Date | null;
}

export type NewBatchRequest = Omit<
  BatchRequestRow,
  'id' | 'state' | 'batchId' | 'result' | 'costUsd' | 'outcome' | 'error' | 'retryable' | 'rounds' | 'createdAt'
> & { createdAt: Date };

/** A deferrable job's deadline: none (far future in the table). */
const NO_DEADLINE = new Date('9999-01-01T00:00:00Z');

function toRequest(r: Record<string, unknown>): BatchRequestRow {
  const deadline = new Date(r['deadline'] as string);
  return {
    id: r['id'] as string,
    callKey: r['call_key'] as string,
    tenantId: r['tenant_id'] as string,
    apiKeyId: (r['api_key_id'] as string | null) ?? null,
    userId: (r['user_id'] as string | null) ?? null,
    jobId: (r['job_id'] as string | null) ?? null,
    itemId: (r['item_id'] as string | null) ?? null,
    operation: r['operation'] as string,
    complexity: (r['complexity'] as string | null) ?? null,
    providerId: r['provider_id'] as string,
    modelId: r['model_id'] as string,
    request: r['request'] as ChatRequest,
    estimatedTokens: Number(r['estimated_tokens']),
    state: r['state'] as BatchRequestState,
    batchId: (r['batch_id'] as string | null) ?? null,
    result: (r['result'] as ChatResult | null) ?? null,
    costUsd: (r['cost_usd'] as string | null) ?? null,
    outcome: (r['outcome'] as string | null) ?? null,
    error: (r['error'] as string | null) ?? null,
    retryable: (r['retryable'] as boolean | null) ?? null,
    rounds: Number(r['rounds']),
    deadline: deadline.getTime() >= NO_DEADLINE.getTime() ? null : deadline,
    createdAt: new Date(r['created_at'] as string),
  };
}

function toBatch(r: Record<string, unknown>): BatchRow {
  return {
    id: r['id'] as string,
    providerId: r['provider_id'] as string,
    modelId: r['model_id'] as string,
    state: r['state'] as BatchRow['state'],
    remoteId: (r['remote_id'] as string | null) ?? null,
    remoteStatus: (r['remote_status'] as string | null) ?? null,
    requestCount: Number(r['request_count']),
    createdAt: new Date(r['created_at'] as string),
    submittedAt: r['submitted_at'] ? new Date(r['submitted_at'] as string) : null,
  };
}

/** The batch tier's rows: provider batches and their requests, in Postgres so that a restarted poller resumes. */
@Injectable()
export class BatchRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findByKey(callKey: string): Promise<BatchRequestRow | null> {
    const [row] = (await this.db.query(`SELECT * FROM llm_batch_requests WHERE call_key = $1`, [callKey])) as Array<Record<string, unknown>>;
    return row ? toRequest(row) : null;
  }

  /**
   * Queues one request unless the model's batch queue (queued + submitted tokens) would pass `queueLimit`
   * (null: no limit). The check and the insert hold the model's advisory lock, so workers cannot overfill it
   * together. Returns the row (an existing one for the same call key), or null when the queue is full.
   */
  async enqueue(req: NewBatchRequest, queueLimit: number | null): Promise<BatchRequestRow | null> {
    return this.db.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('batch-queue:' || $1))`, [req.modelId]);
      if (queueLimit !== null) {
        const [{ tokens }] = (await m.query(
          `SELECT coalesce(sum(estimated_tokens), 0)::bigint AS tokens FROM llm_batch_requests WHERE model_id = $1 AND state IN ('queued', 'submitted')`,
          [req.modelId],
        )) as [{ tokens: string }];
        const existing = await this.byKey(m, req.callKey);
        if (existing) return existing;
        if (Number(tokens) + req.estimatedTokens > queueLimit) return null;
      }
      await m.query(
        `INSERT INTO llm_batch_requests (call_key, tenant_id, api_key_id, user_id, job_id, item_id, operation, complexity, provider_id, model_id,
           request, estimated_tokens, state, deadline, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, 'queued', $13, $14)
         ON CONFLICT (call_key) DO NOTHING`,
        [
          req.callKey,
          req.tenantId,
          req.apiKeyId,
          req.userId,
          req.jobId,
          req.itemId,
          req.operation,
          req.complexity,
          req.providerId,
          req.modelId,
          JSON.stringify(req.request),
          req.estimatedTokens,
          req.deadline ?? NO_DEADLINE,
          req.createdAt,
        ],
      );
      return this.byKey(m, req.callKey);
    });
  }

  private async byKey(m: EntityManager, callKey: string): Promise<BatchRequestRow | null> {
    const [row] = (await m.query(`SELECT * FROM llm_batch_requests WHERE call_key = $1`, [callKey])) as Array<Record<string, unknown>>;
    return row ? toRequest(row) : null;
  }

  /** Each model's queued requests: how many and since when. */
  async queuedGroups(): Promise<QueuedGroup[]> {
    const rows = (await this.db.query(
      `SELECT provider_id, model_id, count(*)::int AS count, min(created_at) AS oldest FROM llm_batch_requests WHERE state = 'queued' GROUP BY provider_id, model_id`,
    )) as Array<{ provider_id: string; model_id: string; count: number; oldest: string }>;
    return rows.map((r) => ({ providerId: r.provider_id, modelId: r.model_id, count: Number(r.count), oldestAt: new Date(r.oldest) }));
  }

  /**
   * Claims up to `limit` of a model's queued requests for a new batch row in state `submitting` (rows other
   * workers hold are skipped). Returns the batch and its requests in queue order.
   */
  async claim(providerId: string, modelId: string, limit: number, at: Date): Promise<{ batch: BatchRow; requests: BatchRequestRow[] } | null> {
    return this.db.transaction(async (m) => {
      const rows = (await m.query(
        `SELECT * FROM llm_batch_requests WHERE state = 'queued' AND model_id = $1 ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [modelId, limit],
      )) as Array<Record<string, unknown>>;
      if (rows.length === 0) return null;
      const [batch] = (await m.query(
        `INSERT INTO llm_batches (provider_id, model_id, state, request_count, created_at, next_poll_at) VALUES ($1, $2, 'submitting', $3, $4, $4) RETURNING *`,
        [providerId, modelId, rows.length, at],
      )) as Array<Record<string, unknown>>;
      const b = toBatch(batch as Record<string, unknown>);
      await m.query(`UPDATE llm_batch_requests SET state = 'submitted', batch_id = $1 WHERE id = ANY($2::uuid[])`, [b.id, rows.map((r) => r['id'])]);
      return { batch: b, requests: rows.map((r) => ({ ...toRequest(r), state: 'submitted' as const, batchId: b.id })) };
    });
  }

  async markSubmitted(batchId: string, remoteId: string, at: Date, nextPollAt: Date): Promise<void> {
    await this.db.query(`UPDATE llm_batches SET state = 'submitted', remote_id = $2, submitted_at = $3, next_poll_at = $4 WHERE id = $1`, [
      batchId,
      remoteId,
      at,
      nextPollAt,
    ]);
  }

  /** The provider refused the batch: its requests go back to the queue (or fail, past their rounds). */
  async markSubmitFailed(batchId: string, error: string, at: Date): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(`UPDATE llm_batches SET state = 'failed', error = $2, ended_at = $3 WHERE id = $1`, [batchId, error.slice(0, 2000), at]);
      await m.query(
        `UPDATE llm_batch_requests SET state = 'failed', outcome = 'errored', error = $2, retryable = true, finished_at = $3 WHERE batch_id = $1 AND state = 'submitted'`,
        [batchId, `the provider refused the batch: ${error}`.slice(0, 2000), at],
      );
    });
  }

  /** Batches due for a look: submitted ones past their next poll, and submissions left half-way (a crash). */
  async due(now: Date, staleSubmitBefore: Date, limit = 20): Promise<BatchRow[]> {
    const rows = (await this.db.query(
      `SELECT * FROM llm_batches
       WHERE (state = 'submitted' AND next_poll_at <= $1) OR (state = 'submitting' AND created_at < $2)
       ORDER BY next_poll_at LIMIT $3`,
      [now, staleSubmitBefore, limit],
    )) as Array<Record<string, unknown>>;
    return rows.map(toBatch);
  }

  async requestsOf(batchId: string): Promise<BatchRequestRow[]> {
    const rows = (await this.db.query(`SELECT * FROM llm_batch_requests WHERE batch_id = $1 ORDER BY created_at, id`, [batchId])) as Array<
      Record<string, unknown>
    >;
    return rows.map(toRequest);
  }

  async touch(batchId: string, remoteStatus: string, nextPollAt: Date): Promise<void> {
    await this.db.query(`UPDATE llm_batches SET remote_status = $2, next_poll_at = $3 WHERE id = $1`, [batchId, remoteStatus, nextPollAt]);
  }

  async succeed(id: string, result: ChatResult, costUsd: string, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE llm_batch_requests SET state = 'succeeded', result = $2::jsonb, cost_usd = $3, outcome = 'success', error = NULL, finished_at = $4
       WHERE id = $1 AND state = 'submitted'`,
      [id, JSON.stringify(result), costUsd, at],
    );
  }

  async fail(id: string, outcome: string, error: string, retryable: boolean, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE llm_batch_requests SET state = 'failed', outcome = $2, error = $3, retryable = $4, finished_at = $5 WHERE id = $1 AND state = 'submitted'`,
      [id, outcome, error.slice(0, 2000), retryable, at],
    );
  }

  /** Back to the queue for another batch (an expired request whose deadline allows another round). */
  async requeue(id: string, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE llm_batch_requests SET state = 'queued', batch_id = NULL, rounds = rounds + 1, created_at = $2 WHERE id = $1 AND state = 'submitted'`,
      [id, at],
    );
  }

  async end(batchId: string, remoteStatus: string, at: Date): Promise<void> {
    await this.db.query(`UPDATE llm_batches SET state = 'ended', remote_status = $2, ended_at = $3 WHERE id = $1`, [batchId, remoteStatus, at]);
  }

  /** A submission left half-way by a crash: its requests go back to the queue, keeping their ids (and ledger keys). */
  async abandonSubmission(batchId: string, at: Date): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE llm_batches SET state = 'failed', error = 'abandoned: the worker stopped before the provider confirmed it', ended_at = $2 WHERE id = $1`,
        [batchId, at],
      );
      await m.query(`UPDATE llm_batch_requests SET state = 'queued', batch_id = NULL WHERE batch_id = $1 AND state = 'submitted'`, [batchId]);
    });
  }
}
