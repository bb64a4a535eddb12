import { Training1765300000000 } from './migrations/1765300000000-training';
import { SongEvalSet1765300000100 } from './migrations/1765300000100-song-eval-set';
import { PromotionSchedule1765400000010 } from './migrations/1765400000010-promotion-schedule';

export * from './training.module';
export { ExampleRecorder } from './examples/example-recorder';
export { ExampleRetention } from './examples/retention';
export { EvalRunner } from './evals/eval-runner';
export { EvalsRepository } from './evals/evals.repository';
export { SONG_EVAL_SET_ID, SONG_EVAL_ITEMS } from './data/song-eval-set';
export { ExamplesQueryRepository } from './examples/examples.repository';
export { openAiLineProblems, estimateChatTokens, renderLine, splitPart, OPENAI_EXAMPLE_TOKEN_LIMIT, type TrainingRecord } from './export/formats';

export const TRAINING_MIGRATIONS = [Training1765300000000, SongEvalSet1765300000100, PromotionSchedule1765400000010];
export { PromotionsService, type ScheduledRun } from './ab/promotions.service';
export { promotionSlot, EVALUATE_PROMOTIONS_JOB } from './ab/promotion-schedule';
