import { decideWait, MIN_WAIT_MS } from './outage-wait';

describe('an item that no provider can take for now', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);

  it('waits until the earliest provider may be back', () => {
    expect(decideWait({ now, waitingSince: null, patienceSeconds: 86_400, retryAt: at(25_000), reason: 'circuit open' })).toEqual({
      kind: 'wait',
      delayMs: 25_000,
      until: at(25_000),
    });
  });

  it('never spins: a provider expected back already still gets a moment', () => {
    expect(decideWait({ now, waitingSince: null, patienceSeconds: 60, retryAt: at(-5_000), reason: 'x' })).toMatchObject({
      kind: 'wait',
      delayMs: MIN_WAIT_MS,
    });
  });

  it('counts patience from when the item began waiting, and does not sleep past it', () => {
    const since = at(-50_000);
    expect(decideWait({ now, waitingSince: since, patienceSeconds: 60, retryAt: at(30_000), reason: 'x' })).toEqual({
      kind: 'wait',
      delayMs: 10_000,
      until: at(10_000),
    });
  });

  it('gives up once the patience has run out, saying why and for how long it waited', () => {
    const decision = decideWait({ now, waitingSince: at(-3_600_000), patienceSeconds: 3_600, retryAt: at(1_000), reason: 'ollama/qwen3:8b: circuit open' });
    expect(decision.kind).toBe('give-up');
    expect(decision.kind === 'give-up' && decision.message).toBe(
      "Gave up after waiting 60 min for a model provider to come back (the job's maxWaitSeconds is 3600): ollama/qwen3:8b: circuit open",
    );
  });
});
