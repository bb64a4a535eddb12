import { BoundedLabel, MarginMetrics } from './margin-metrics';
import { limiterUtilization } from './scrape-collectors';
import { MetricsRecorder } from './metrics-recorder';

describe('BoundedLabel', () => {
  it('passes the first values, then folds new ones into "other"; empty is "none"', () => {
    const l = new BoundedLabel(2);
    expect([l.of('a'), l.of('b'), l.of('c'), l.of('a'), l.of(null), l.of('')]).toEqual(['a', 'b', 'other', 'a', 'other', 'other']);
    expect(new BoundedLabel().of(undefined)).toBe('none');
  });
});

describe('limiterUtilization', () => {
  it('is the most used limit, capped at 1; a retry-after block or a queue is saturation', () => {
    expect(limiterUtilization({ inFlight: 3, waiting: 0, requests: 50 }, { maxConcurrency: 4, rpm: 100 })).toBe(0.75);
    expect(limiterUtilization({ inFlight: 1, waiting: 0, requests: 10 }, { maxConcurrency: 4, rpm: 100 })).toBe(0.9);
    expect(limiterUtilization({ inFlight: 0, waiting: 0, tokens: -50 }, { tpm: 100 })).toBe(1);
    expect(limiterUtilization({ inFlight: 0, waiting: 2 }, {})).toBe(1);
    expect(limiterUtilization({ inFlight: 0, waiting: 0, blockedUntil: 2_000 }, {}, 1_000)).toBe(1);
    expect(limiterUtilization({ inFlight: 5, waiting: 0 }, {})).toBe(0);
  });
});

describe('MetricsRecorder', () => {
  const metrics = new MarginMetrics('worker', 'w1');
  const recorder = new MetricsRecorder(metrics, {} as never, {} as never);
  const value = async (name: string, labels: Record<string, string>) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;

  it('counts a booked attempt: call, tokens by direction, cost in USD, and what routing saved', async () => {
    recorder.onBooked({
      attemptId: 'a',
      tenantId: 't',
      operation: 'draft',
      providerId: 'openai',
      modelId: 'openai/gpt-4o-mini',
      usage: { inputTokens: 1000, cachedInputTokens: 200, outputTokens: 500, reasoningTokens: 0 },
      costPico: 450_000_000n, // $0.00045
      premium: { modelId: 'openai/gpt-4o', costPico: 7_500_000_000n },
      latencyMs: 1500,
      outcome: 'success',
      at: new Date(),
    });
    expect(await value('margin_llm_calls_total', { model: 'openai/gpt-4o-mini', outcome: 'success' })).toBe(1);
    expect(await value('margin_llm_tokens_total', { direction: 'input' })).toBe(1000);
    expect(await value('margin_llm_tokens_total', { direction: 'cached_input' })).toBe(200);
    expect(await value('margin_llm_tokens_total', { direction: 'reasoning' })).toBeUndefined();
    expect(await value('margin_llm_cost_usd_total', { operation: 'draft' })).toBeCloseTo(0.00045, 12);
    expect(await value('margin_llm_saved_usd_total', { model: 'openai/gpt-4o-mini' })).toBeCloseTo(0.00705, 12);
  });

  it('counts items by final status and cache hits/misses among completed ones', async () => {
    recorder.onItem('completed', true);
    recorder.onItem('completed', false);
    recorder.onItem('failed', false);
    expect(await value('margin_items_total', { status: 'completed' })).toBe(2);
    expect(await value('margin_items_total', { status: 'failed' })).toBe(1);
    expect(await value('margin_cache_lookups_total', { result: 'hit' })).toBe(1);
    expect(await value('margin_cache_lookups_total', { result: 'miss' })).toBe(1);
  });

  it('counts limiter refusals by the refusing limit', async () => {
    recorder.onLimiter({ providerId: 'openai', modelId: 'm', waitedMs: 20, acquired: false, reason: 'rpm' });
    expect(await value('margin_limiter_acquires_total', { result: 'refused_rpm' })).toBe(1);
  });
});

describe('MarginMetrics registry', () => {
  it('uses gauge names without _total for the active-resource gauges (promtool rejects *_total gauges)', async () => {
    const text = await new MarginMetrics('api', 'i').registry.metrics();
    expect(text).not.toMatch(/^# TYPE \S+_total gauge$/m);
    expect(text).toMatch(/^nodejs_active_resources\{/m);
  });
});
