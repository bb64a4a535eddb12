import type { AppConfig, Clock } from '@margin/core';
import type { Queue } from 'bull';
import { EVALUATE_PROMOTIONS_JOB, PromotionEvaluationProcessor, PromotionScheduler, promotionSlot } from './promotion-schedule';
import type { PromotionsService } from './promotions.service';

describe('the promotion rule’s schedule', () => {
  it('a slot is the start of its period: runs within one period share it, the next period has its own', () => {
    expect(promotionSlot(new Date('2026-01-01T10:59:59.999Z'), 3_600_000).toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(promotionSlot(new Date('2026-01-01T11:00:00.000Z'), 3_600_000).toISOString()).toBe('2026-01-01T11:00:00.000Z');
    expect(promotionSlot(new Date('2026-01-01T11:00:03.500Z'), 2_000).toISOString()).toBe('2026-01-01T11:00:02.000Z');
  });

  it('schedules one repeatable job at the configured period, replacing a schedule of another period', async () => {
    const removed: string[] = [];
    const added: Array<{ name: string; opts: unknown }> = [];
    const queue = {
      getRepeatableJobs: async () => [
        { key: 'old', name: EVALUATE_PROMOTIONS_JOB, every: 3_600_000 },
        { key: 'same', name: EVALUATE_PROMOTIONS_JOB, every: 2_000 },
        { key: 'other', name: 'training.prune-examples', every: 3_600_000 },
      ],
      removeRepeatableByKey: async (key: string) => void removed.push(key),
      add: async (name: string, _data: unknown, opts: unknown) => void added.push({ name, opts }),
    } as unknown as Queue;
    await new PromotionScheduler(queue, { promotionEvaluationMs: 2_000 } as AppConfig).onApplicationBootstrap();
    expect(removed).toEqual(['old']);
    expect(added).toEqual([{ name: EVALUATE_PROMOTIONS_JOB, opts: expect.objectContaining({ repeat: { every: 2_000 }, jobId: EVALUATE_PROMOTIONS_JOB }) }]);
  });

  it('each run evaluates the slot of the time it runs', async () => {
    const slots: string[] = [];
    const promotions = {
      evaluateScheduled: async (slot: Date) => {
        slots.push(slot.toISOString());
        return { slot: slot.toISOString(), tenants: 0, cells: 0, promoted: 0, demoted: 0, proposed: 0, skipped: 0 };
      },
    } as unknown as PromotionsService;
    const clock = { now: () => new Date('2026-03-04T05:06:07.890Z') } as Clock;
    await new PromotionEvaluationProcessor(promotions, { promotionEvaluationMs: 60_000 } as AppConfig, clock).evaluate();
    expect(slots).toEqual(['2026-03-04T05:06:00.000Z']);
  });
});
