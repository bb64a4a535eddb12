import type { AbArmView, DatasetView, EvalRunView, EvalSetView, PromotionView, TrainingExampleView } from '@margin/contracts';

export function makeExample(n: number, overrides: Partial<TrainingExampleView> = {}): TrainingExampleView {
  return {
    id: `0000000${n}-aaaa-4bbb-8ccc-000000000000`,
    source: 'job',
    jobId: 'job-1',
    itemId: `item-${n}`,
    profileKey: 'song-analysis',
    profileVersion: 1,
    step: null,
    round: null,
    operation: 'analyze',
    model: 'ollama/qwen3:8b',
    provider: 'ollama',
    messages: [
      { role: 'system', content: 'You review song lyrics.' },
      { role: 'user', content: `Lyrics ${n}` },
    ],
    output: { verdict: 'approved', score: 90 },
    inputHash: `hash-${n}`,
    inputTokens: 120,
    outputTokens: 30,
    costUsd: 0.000042,
    latencyMs: 850,
    quality: 88,
    emulated: false,
    createdAt: '2026-11-20T10:00:00.000Z',
    feedback: null,
    ...overrides,
  };
}

export function makeDataset(overrides: Partial<DatasetView> = {}): DatasetView {
  return {
    id: 'd1d1d1d1-0000-4000-8000-000000000001',
    name: 'songs-approved',
    version: 2,
    format: 'openai-jsonl',
    filters: { approvedOnly: true },
    examples: 140,
    createdAt: '2026-11-21T10:00:00.000Z',
    ...overrides,
  };
}

export const SONG_SET_ID = '5e75e75e-0000-4000-8000-000000000050';

export function makeEvalSet(overrides: Partial<EvalSetView> = {}): EvalSetView {
  return { id: SONG_SET_ID, name: 'songs-50', profileKey: 'song-analysis', builtIn: true, items: 50, createdAt: '2026-11-01T00:00:00.000Z', ...overrides };
}

export function makeRun(id: string, overrides: Partial<EvalRunView> = {}): EvalRunView {
  return {
    id,
    evalSetId: SONG_SET_ID,
    model: 'ollama/qwen3:8b',
    judgeModel: null,
    status: 'completed',
    error: null,
    totals: { items: 2, completed: 2, failed: 0, quality: 81.5, verdictAgreement: 0.9, scoreMae: 6.5, concernF1: 0.75, costUsd: 0, meanLatencyMs: 1200 },
    createdAt: '2026-11-22T10:00:00.000Z',
    finishedAt: '2026-11-22T10:05:00.000Z',
    ...overrides,
  };
}

export function makeArm(overrides: Partial<AbArmView> = {}): AbArmView {
  return {
    operation: 'analyze',
    complexity: 'simple',
    arm: 'incumbent',
    model: 'openai/gpt-4o-mini',
    calls: 200,
    failures: 2,
    costUsd: 0.21,
    judged: 150,
    quality: 86.2,
    rated: 12,
    rating: 4.25,
    ...overrides,
  };
}

export function makePromotion(overrides: Partial<PromotionView> = {}): PromotionView {
  return {
    id: 'a0a0a0a0-0000-4000-8000-000000000001',
    operation: 'analyze',
    complexity: 'simple',
    action: 'promote',
    fromModel: 'openai/gpt-4o-mini',
    toModel: 'ollama/qwen3:8b',
    applied: true,
    status: 'applied',
    origin: 'manual',
    actorUserId: null,
    reason: 'The challenger is within 5 points of the incumbent at a lower cost.',
    evidence: {},
    createdAt: '2026-11-25T10:00:00.000Z',
    approvedAt: null,
    approvedBy: null,
    revertedAt: null,
    revertedBy: null,
    revertsId: null,
    ...overrides,
  };
}
