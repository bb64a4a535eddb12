import { Injectable, Logger, type OnApplicationShutdown, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { GroupCommit } from '@margin/core';
import { CallObservers, type LlmCallObserver, type ObservedCall } from '@margin/model-router';
import { scoreAt, toExampleRow, type ExampleRow, type QualityRow } from './example-row';
import { ExamplesRepository } from './examples.repository';

/** Rows per statement: 25 array parameters whatever the count; a batch of messages stays a few MB at most. */
const BATCH = 200;
/** Calls queued but not written yet, past which new ones are dropped (the database is away): memory stays bounded. */
const MAX_PENDING = 20_000;

/**
 * Records a training example for every answered call the executor reports, on the worker's and the API's
 * hot path: `observe` only queues the call; concurrent calls share one multi-row INSERT (GroupCommit), the
 * tenant's opt-out is checked inside that statement, and a failed write is logged, never the call's problem.
 */
@Injectable()
export class ExampleRecorder implements LlmCallObserver, OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(ExampleRecorder.name);
  private readonly writes: GroupCommit<ObservedCall, true>;
  private pending = 0;
  private dropped = 0;

  constructor(
    private readonly observers: CallObservers,
    private readonly repo: ExamplesRepository,
  ) {
    this.writes = new GroupCommit((calls) => this.write(calls), { maxBatch: BATCH, parallel: 1, retries: 2 });
  }

  onModuleInit(): void {
    this.observers.register(this);
  }

  onModuleDestroy(): void {
    this.observers.unregister(this);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writes.drain();
  }

  observe(call: ObservedCall): void {
    if (this.pending >= MAX_PENDING) {
      if (this.dropped++ % 1000 === 0) this.logger.warn({ dropped: this.dropped }, 'training examples are not being written fast enough: dropping some');
      return;
    }
    this.pending++;
    this.writes
      .add(call)
      .catch((err: Error) => this.logger.warn({ callRef: call.callRef, err }, `training example not recorded: ${err.message}`))
      .finally(() => this.pending--);
  }

  /** Resolves once every call observed so far is written (tests, shutdown). */
  flush(): Promise<void> {
    return this.writes.drain();
  }

  /**
   * One statement per batch. Batches run one at a time (parallel: 1), so a score for an earlier call finds
   * its example written; a score for a call in the same batch is set on its row before the insert.
   */
  private async write(calls: ObservedCall[]): Promise<true[]> {
    const rows: ExampleRow[] = [];
    const byRef = new Map<string, ExampleRow>();
    const scores: QualityRow[] = [];
    for (const call of calls) {
      const row = toExampleRow(call);
      rows.push(row);
      byRef.set(row.callRef, row);
      const assesses = call.trace?.assesses;
      const score = assesses ? scoreAt(call.outputJson, assesses.scoreField) : undefined;
      if (!assesses || score === undefined) continue;
      const target = byRef.get(assesses.callRef);
      if (target && target.tenantId === call.tenantId) target.quality = score;
      else scores.push({ tenantId: call.tenantId, callRef: assesses.callRef, quality: score });
    }
    await this.repo.insertMany(rows, scores);
    return calls.map(() => true as const);
  }
}
