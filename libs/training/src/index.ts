import { Training1765300000000 } from './migrations/1765300000000-training';

export * from './training.module';
export { ExampleRecorder } from './examples/example-recorder';
export { ExampleRetention } from './examples/retention';
export { ExamplesQueryRepository } from './examples/examples.repository';
export { openAiLineProblems, estimateChatTokens, renderLine, splitPart, OPENAI_EXAMPLE_TOKEN_LIMIT, type TrainingRecord } from './export/formats';

export const TRAINING_MIGRATIONS = [Training1765300000000];
