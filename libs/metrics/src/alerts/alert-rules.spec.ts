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
