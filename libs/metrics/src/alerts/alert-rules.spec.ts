import type { AlertRule } from '@margin/contracts';
import { checkRules, evaluateRule, incidentKey, transitions, type Snapshot } from './alert-rules';

const snapshot = (over: Partial<Snapshot> = {}): Snapshot => ({
  queueDepth: { analysis: 0, maintenance: 0, metrics: 0 },
  models: [
    { id: 'openai/gpt-4o', circuit: 'closed', utilization: 0.2 },
    { id: 'ollama/qwen3:8b', circuit: 'open', utilization: 1 },
  ],
  failures: () => ({ failed: 0, finished: 0 }),
  spentTodayUsd: 0,
  firstResults: () => ({ jobs: 0, worstSeconds: 0 }),
  ...over,
});
const rule = (r: Partial<AlertRule> & Pick<AlertRule, 'kind'>): AlertRule => ({ id: r.kind.replace('_', '-'), enabled: true, threshold: 0, ...r });

describe('checkRules', () => {
  it('accepts valid rules and names every problem by index and field', () => {
    expect(checkRules([{ id: 'backlog', kind: 'queue_depth', threshold: 100 }]).rules).toEqual([
      { id: 'backlog', kind: 'queue_depth', enabled: true, threshold: 100 },
    ]);
    const bad = checkRules([
      { id: 'A b', kind: 'nope', threshold: 'x' },
      { id: 'fr', kind: 'failure_rate', threshold: 2, windowMinutes: 0 },
      { id: 'fr', kind: 'circuit_open', extra: 1 },
    ]);
    expect(bad.rules).toBeUndefined();
    expect(bad.problems).toEqual(
      expect.arrayContaining([
        'rules.0.id must be 1-64 lowercase letters, digits or dashes',
        expect.stringMatching(/^rules\.0\.kind must be one of/),
        'rules.1.threshold must be between 0 and 1',
        'rules.1.windowMinutes must be an integer from 1 to 1440',
        'rules.2.extra is not a rule field',
        'rules.2.id "fr" is used twice',
      ]),
    );
    expect(checkRules('x').problems).toEqual(['rules must be an array']);
  });
});

describe('evaluateRule', () => {
  it('queue depth over N fires strictly above the threshold', () => {
    const r = rule({ kind: 'queue_depth', threshold: 10 });
    expect(evaluateRule(r, snapshot({ queueDepth: { analysis: 10 } }))).toEqual([{ subject: 'analysis', value: 10, firing: false }]);
    expect(evaluateRule(r, snapshot({ queueDepth: { analysis: 11 } }))[0]?.firing).toBe(true);
  });

  it('failure rate over x% in the window; no finished item never fires', () => {
    const r = rule({ kind: 'failure_rate', threshold: 0.2, windowMinutes: 30 });
    const seen: number[] = [];
    expect(
      evaluateRule(
        r,
        snapshot({
          failures: (w) => {
            seen.push(w);
            return { failed: 3, finished: 10 };
          },
        }),
      ),
    ).toEqual([{ subject: '', value: 0.3, firing: true }]);
    expect(seen).toEqual([30]);
    expect(evaluateRule(r, snapshot())[0]).toEqual({ subject: '', value: 0, firing: false });
  });

  it('daily spend over $, circuit open per model, limiter saturated per model (optionally one model)', () => {
    expect(evaluateRule(rule({ kind: 'daily_spend', threshold: 5 }), snapshot({ spentTodayUsd: 5.01 }))[0]?.firing).toBe(true);
    expect(evaluateRule(rule({ kind: 'circuit_open' }), snapshot()).filter((o) => o.firing)).toEqual([{ subject: 'ollama/qwen3:8b', value: 1, firing: true }]);
    expect(evaluateRule(rule({ kind: 'limiter_saturated', threshold: 0.9, model: 'openai/gpt-4o' }), snapshot())).toEqual([
      { subject: 'openai/gpt-4o', value: 0.2, firing: false },
    ]);
  });
});

describe('first result slower than a target', () => {
  const r = rule({ kind: 'first_result_latency', threshold: 30, windowMinutes: 20 });

  it('fires when the slowest job of the window got its first result more than N seconds after creation, strictly', () => {
    const seen: number[] = [];
    const at = (worstSeconds: number, jobs = 3) =>
      evaluateRule(
        r,
        snapshot({
          firstResults: (w) => {
            seen.push(w);
            return { jobs, worstSeconds };
          },
        }),
      );
    expect(at(30)).toEqual([{ subject: '', value: 30, firing: false }]);
    expect(at(30.0004)).toEqual([{ subject: '', value: 30, firing: true }]);
    expect(at(95.25)).toEqual([{ subject: '', value: 95.25, firing: true }]);
    expect(seen).toEqual([20, 20, 20]);
    // no job in the window: nothing was slow
    expect(at(0, 0)[0]?.firing).toBe(false);
    // the window defaults to an hour
    const windows: number[] = [];
    evaluateRule(rule({ kind: 'first_result_latency', threshold: 5 }), snapshot({ firstResults: (w) => (windows.push(w), { jobs: 0, worstSeconds: 0 }) }));
    expect(windows).toEqual([60]);
  });

  it('needs a threshold in seconds above 0 and at most 7 days', () => {
    expect(checkRules([{ id: 'slow-first', kind: 'first_result_latency', threshold: 45, windowMinutes: 30 }]).rules).toEqual([
      { id: 'slow-first', kind: 'first_result_latency', enabled: true, threshold: 45, windowMinutes: 30 },
    ]);
    expect(checkRules([{ id: 'a', kind: 'first_result_latency', threshold: 0 }]).problems).toEqual([
      'rules.0.threshold must be a number of seconds above 0 and at most 604800 (7 days)',
    ]);
    expect(checkRules([{ id: 'a', kind: 'first_result_latency' }]).problems).toEqual(['rules.0.threshold must be a number']);
  });

  it('one incident while jobs stay slow, whatever the worst value does; resolved once when the window is fast again', () => {
    const observe = (worstSeconds: number) =>
      evaluateRule(r, snapshot({ firstResults: () => ({ jobs: 2, worstSeconds }) })).map((observation) => ({ rule: r, observation }));
    const first = transitions(new Map(), observe(40));
    expect(first.fire.map((f) => f.observation)).toEqual([{ subject: '', value: 40, firing: true }]);
    const open = new Map([[incidentKey(r.id, ''), { ruleId: r.id, subject: '' }]]);
    expect(transitions(open, observe(120))).toEqual({ fire: [], resolve: [] });
    expect(transitions(open, observe(31))).toEqual({ fire: [], resolve: [] });
    expect(transitions(open, observe(12))).toEqual({ fire: [], resolve: [{ key: incidentKey(r.id, ''), value: 12 }] });
  });
});

describe('transitions (one notification per incident)', () => {
  const r = rule({ kind: 'queue_depth', threshold: 10 });
  it('opens an incident once, keeps it open silently while it fires, resolves it once', () => {
    const firing = [{ rule: r, observation: { subject: 'analysis', value: 50, firing: true } }];
    const first = transitions(new Map(), firing);
    expect(first.fire).toHaveLength(1);
    const open = new Map([[incidentKey(r.id, 'analysis'), { ruleId: r.id, subject: 'analysis' }]]);
    expect(transitions(open, firing)).toEqual({ fire: [], resolve: [] });
    const calm = [{ rule: r, observation: { subject: 'analysis', value: 3, firing: false } }];
    expect(transitions(open, calm)).toEqual({ fire: [], resolve: [{ key: incidentKey(r.id, 'analysis'), value: 3 }] });
  });

  it('resolves the incidents of a rule that was removed or disabled', () => {
    const open = new Map([[incidentKey('gone', ''), { ruleId: 'gone', subject: '' }]]);
    expect(transitions(open, []).resolve).toEqual([{ key: incidentKey('gone', ''), value: 0 }]);
  });
});
