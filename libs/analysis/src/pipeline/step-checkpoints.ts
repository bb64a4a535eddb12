// Steps an item already got answers for, kept between its attempts: when a multi-step item (a blog post:
// outline → draft → assess → refine) stops at step 3 because the provider went away, it resumes at step 3 once
// the provider is back instead of paying for steps 1 and 2 again. A step is kept only after its call is booked
// in the ledger, so what is reused was paid for exactly once. Losing a checkpoint (Redis flushed, key expired)
// only costs a re-run of the step, never a wrong answer: the pipeline is the same for the same input.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { REDIS } from '@margin/core';
import type Redis from 'ioredis';
import type { StepCheckpoint, StepCheckpoints } from './pipeline.types';

/** Longer than any job's default patience (24 h): a waiting item finds its steps when it runs again. */
const CHECKPOINT_TTL_SECONDS = 7 * 24 * 3600;

const keyOf = (itemId: string) => `margin:item-steps:${itemId}`;

interface Stored {
  output: unknown;
  model: string;
  provider: string;
  costPico: string;
  emulated: boolean;
  /** Absent in checkpoints saved before they were kept. */
  attemptId?: string;
  premiumCostPico?: string | null;
}

function parse(raw: string): StepCheckpoint | null {
  try {
    const s = JSON.parse(raw) as Stored;
    if (typeof s.model !== 'string' || typeof s.provider !== 'string' || typeof s.costPico !== 'string' || !/^\d+$/.test(s.costPico)) return null;
    const premium = typeof s.premiumCostPico === 'string' && /^\d+$/.test(s.premiumCostPico) ? BigInt(s.premiumCostPico) : null;
    return {
      output: s.output,
      model: s.model,
      provider: s.provider,
      costPico: BigInt(s.costPico),
      emulated: s.emulated === true,
      ...(typeof s.attemptId === 'string' ? { attemptId: s.attemptId } : {}),
      premiumCostPico: premium,
    };
  } catch {
    return null;
  }
}

@Injectable()
export class ItemStepCheckpoints {
  private readonly logger = new Logger(ItemStepCheckpoints.name);

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** The checkpoints of one item (tenant-owned data: the item id is a UUID only its own job's runs know). */
  forItem(itemId: string): StepCheckpoints {
    const key = keyOf(itemId);
    return {
      load: async () => {
        const done = new Map<string, StepCheckpoint>();
        try {
          const all = await this.redis.hgetall(key);
          for (const [step, raw] of Object.entries(all)) {
            const cp = parse(raw);
            if (cp) done.set(step, cp);
          }
        } catch (err) {
          // Without them the steps run again: dearer, still right.
          this.logger.warn({ itemId, err: (err as Error).message }, 'step checkpoints unreadable; the item runs every step');
        }
        return done;
      },
      save: async (step, cp) => {
        const stored: Stored = {
          output: cp.output,
          model: cp.model,
          provider: cp.provider,
          costPico: cp.costPico.toString(),
          emulated: cp.emulated,
          ...(cp.attemptId ? { attemptId: cp.attemptId } : {}),
          premiumCostPico: cp.premiumCostPico === undefined || cp.premiumCostPico === null ? null : cp.premiumCostPico.toString(),
        };
        try {
          await this.redis.multi().hset(key, step, JSON.stringify(stored)).expire(key, CHECKPOINT_TTL_SECONDS).exec();
        } catch (err) {
          this.logger.warn({ itemId, step, err: (err as Error).message }, 'step checkpoint not saved; a retry would run the step again');
        }
      },
    };
  }

  /** The item is finished: its steps will not be asked for again. */
  async clear(itemId: string): Promise<void> {
    try {
      await this.redis.del(keyOf(itemId));
    } catch (err) {
      this.logger.warn({ itemId, err: (err as Error).message }, 'step checkpoints not cleared (they expire on their own)');
    }
  }
}
