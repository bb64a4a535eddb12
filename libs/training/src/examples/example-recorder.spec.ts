import type { CallObservers, ObservedCall } from '@margin/model-router';
import { strictMock } from '@margin/testing';
import { exampleInputHash } from './example-row';
import { ExampleRecorder } from './example-recorder';
import type { ExamplesRepository } from './examples.repository';

const call = (over: Partial<ObservedCall> = {}): ObservedCall => ({
  callRef: 'item:1:draft:0',
  tenantId: '00000000-0000-4000-8000-000000000001',
  jobId: null,
  itemId: null,
  operation: 'draft',
  messages: [
    { role: 'system', content: 's' },
    { role: 'user', content: 'u' },
  ],
  outputText: '{"content":"x"}',
  outputJson: { content: 'x' },
  structured: true,
  modelId: 'ollama/qwen3:8b',
  providerId: 'ollama',
  inputTokens: 10,
  outputTokens: 5,
  costPico: 1_500_000n,
  latencyMs: 12.4,
  emulated: true,
  at: new Date('2026-01-01T00:00:00Z'),
  abArm: null,
  complexity: 'medium',
  trace: { source: 'job', profileKey: 'blog-post', profileVersion: 1, step: 'draft', round: 0 },
  ...over,
});

describe('ExampleRecorder', () => {
  const observers = strictMock<CallObservers>({ register: () => undefined, unregister: () => undefined });

  it('writes concurrent calls in one statement, the assessed content with its score when both are in the batch', async () => {
    const repo = strictMock<ExamplesRepository>({ insertMany: async () => ({ inserted: 2, updated: 0 }) });
    const recorder = new ExampleRecorder(observers, repo);
    recorder.observe(call());
    recorder.observe(
      call({
        callRef: 'item:1:assess:0',
        operation: 'assess',
        outputJson: { scores: { overall: 82 } },
        trace: { source: 'job', step: 'assess', round: 0, assesses: { callRef: 'item:1:draft:0', scoreField: 'scores.overall' } },
      }),
    );
    await recorder.flush();
    expect(repo.insertMany).toHaveBeenCalledTimes(1);
    const [rows, scores] = repo.insertMany.mock.calls[0] ?? [];
    expect(rows?.map((r) => [r.callRef, r.quality])).toEqual([
      ['item:1:draft:0', 82],
      ['item:1:assess:0', null],
    ]);
    expect(scores).toEqual([]);
    expect(rows?.[0]).toMatchObject({
      costUsd: '0.000001500000',
      latencyMs: 12,
      profileKey: 'blog-post',
      inputHash: exampleInputHash('draft', call().messages),
    });
  });

  it('a score for an example written earlier goes with the next batch as an update', async () => {
    const repo = strictMock<ExamplesRepository>({ insertMany: async () => ({ inserted: 1, updated: 1 }) });
    const recorder = new ExampleRecorder(observers, repo);
    recorder.observe(
      call({ callRef: 'a:assess:1', outputJson: { overall: 64 }, trace: { source: 'job', assesses: { callRef: 'a:refine:1', scoreField: 'overall' } } }),
    );
    await recorder.flush();
    expect(repo.insertMany.mock.calls[0]?.[1]).toEqual([{ tenantId: call().tenantId, callRef: 'a:refine:1', quality: 64 }]);
  });

  it('a failed write is logged, never thrown at the caller', async () => {
    const repo = strictMock<ExamplesRepository>({
      insertMany: async () => {
        throw new Error('database away');
      },
    });
    const recorder = new ExampleRecorder(observers, repo);
    expect(() => recorder.observe(call())).not.toThrow();
    await recorder.flush();
    expect(repo.insertMany).toHaveBeenCalledTimes(3); // the first try and GroupCommit's two retries
  });

  it('the input hash depends on the operation and the messages, not on the answer', () => {
    const m = call().messages;
    expect(exampleInputHash('draft', m)).toBe(exampleInputHash('draft', [...m]));
    expect(exampleInputHash('draft', m)).not.toBe(exampleInputHash('assess', m));
    expect(exampleInputHash('draft', m)).not.toBe(exampleInputHash('draft', [{ role: 'user', content: 's' }, m[1] as (typeof m)[number]]));
  });
});
