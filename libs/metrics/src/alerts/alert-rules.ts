// Alert rules as data: their validation, their evaluation against a snapshot of the system, and the incident
// transitions (firing / resolved) that keep one notification per incident. Pure, unit-tested.
import { ALERT_KINDS, type AlertKind, type AlertRule } from '@margin/contracts';

export const MAX_RULES = 50;
const RULE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Checks a PUT body's rules; problems are named `rules.<i>.<field>`. */
export function checkRules(input: unknown): { rules?: AlertRule[]; problems: string[] } {
  if (!Array.isArray(input)) return { problems: ['rules must be an array'] };
  if (input.length > MAX_RULES) return { problems: [`rules must have at most ${MAX_RULES} entries`] };
  const problems: string[] = [];
  const seen = new Set<string>();
  const rules: AlertRule[] = [];
  input.forEach((raw: unknown, i) => {
    const p = `rules.${i}.`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`rules.${i} must be an object`);
      return;
    }
    const r = raw as Record<string, unknown>;
    const allowed = new Set(['id', 'kind', 'enabled', 'threshold', 'windowMinutes', 'queue', 'model']);
    for (const key of Object.keys(r)) if (!allowed.has(key)) problems.push(`${p}${key} is not a rule field`);
    if (typeof r.id !== 'string' || !RULE_ID.test(r.id)) problems.push(`${p}id must be 1-64 lowercase letters, digits or dashes`);
    else if (seen.has(r.id)) problems.push(`${p}id "${r.id}" is used twice`);
    else seen.add(r.id);
    if (typeof r.kind !== 'string' || !(ALERT_KINDS as readonly string[]).includes(r.kind)) problems.push(`${p}kind must be one of ${ALERT_KINDS.join(', ')}`);
    if (r.enabled !== undefined && typeof r.enabled !== 'boolean') problems.push(`${p}enabled must be a boolean`);
    const kind = r.kind as AlertKind;
    const threshold = r.threshold;
    const isNum = typeof threshold === 'number' && Number.isFinite(threshold);
    if (kind !== 'circuit_open') {
      if (!isNum) problems.push(`${p}threshold must be a number`);
      else if ((kind === 'failure_rate' || kind === 'limiter_saturated') && (threshold < 0 || threshold > 1))
        problems.push(`${p}threshold must be between 0 and 1`);
      else if (kind === 'first_result_latency' && (threshold <= 0 || threshold > 7 * 86_400))
        problems.push(`${p}threshold must be a number of seconds above 0 and at most 604800 (7 days)`);
      else if (threshold < 0 || threshold > 1e9) problems.push(`${p}threshold must be between 0 and 1000000000`);
    } else if (threshold !== undefined && !isNum) problems.push(`${p}threshold must be a number`);
    if (r.windowMinutes !== undefined && (!Number.isInteger(r.windowMinutes) || (r.windowMinutes as number) < 1 || (r.windowMinutes as number) > 1440))
      problems.push(`${p}windowMinutes must be an integer from 1 to 1440`);
    if (r.queue !== undefined && (typeof r.queue !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(r.queue))) problems.push(`${p}queue must be a queue name`);
    if (r.model !== undefined && (typeof r.model !== 'string' || r.model.length === 0 || r.model.length > 200)) problems.push(`${p}model must be a model id`);
    if (problems.length === 0)
      rules.push({
        id: r.id as string,
        kind,
        enabled: (r.enabled as boolean | undefined) ?? true,
        threshold: isNum ? (threshold as number) : 0,
        ...(r.windowMinutes !== undefined ? { windowMinutes: r.windowMinutes as number } : {}),
        ...(r.queue !== undefined ? { queue: r.queue as string } : {}),
        ...(r.model !== undefined ? { model: r.model as string } : {}),
      });
  });
  return problems.length ? { problems } : { rules, problems };
}

/** What the evaluator sees, gathered once per run. */
export interface Snapshot {
  /** Jobs waiting (waiting + delayed) per Bull queue. */
  queueDepth: Record<string, number>;
  /** Per model: circuit state and limiter utilization 0..1. */
  models: Array<{ id: string; circuit: 'closed' | 'open' | 'half-open'; utilization: number }>;
  /** The tenant's items finished in the rule's window: the evaluator asks per window. */
  failures: (windowMinutes: number) => { failed: number; finished: number };
  /** The tenant's spend today (UTC), USD. */
  spentTodayUsd: number;
  /**
   * Jobs the tenant created in the rule's window, and the slowest one's seconds from creation to its first item
   * result (a job still without one, not finished: how long it has waited so far). The evaluator asks per window.
   */
  firstResults: (windowMinutes: number) => { jobs: number; worstSeconds: number };
}

/** first_result_latency's window when the rule names none. */
export const FIRST_RESULT_WINDOW_MINUTES = 60;

/** One thing a rule looks at: the rule fires for it when `firing`. */
export interface Observation {
  subject: string;
  value: number;
  firing: boolean;
}

export function evaluateRule(rule: AlertRule, s: Snapshot): Observation[] {
  switch (rule.kind) {
    case 'queue_depth': {
      const queue = rule.queue ?? 'analysis';
      const value = s.queueDepth[queue] ?? 0;
      return [{ subject: queue, value, firing: value > rule.threshold }];
    }
    case 'failure_rate': {
      const { failed, finished } = s.failures(rule.windowMinutes ?? 15);
      // no finished item: no rate, and nothing to alert on
      const value = finished ? failed / finished : 0;
      return [{ subject: '', value, firing: finished > 0 && value > rule.threshold }];
    }
    case 'daily_spend':
      return [{ subject: '', value: s.spentTodayUsd, firing: s.spentTodayUsd > rule.threshold }];
    case 'circuit_open':
      return s.models
        .filter((m) => !rule.model || m.id === rule.model)
        .map((m) => ({ subject: m.id, value: m.circuit === 'open' ? 1 : 0, firing: m.circuit === 'open' }));
    case 'limiter_saturated':
      return s.models
        .filter((m) => !rule.model || m.id === rule.model)
        .map((m) => ({ subject: m.id, value: m.utilization, firing: m.utilization >= (rule.threshold || 1) }));
    case 'first_result_latency': {
      const { jobs, worstSeconds } = s.firstResults(rule.windowMinutes ?? FIRST_RESULT_WINDOW_MINUTES);
      // no job in the window: nothing was slow
      const value = Math.round(worstSeconds * 1000) / 1000;
      return [{ subject: '', value, firing: jobs > 0 && worstSeconds > rule.threshold }];
    }
  }
}

export const incidentKey = (ruleId: string, subject: string) => `${ruleId}\u0000${subject}`;

/**
 * From the open incidents and this run's observations: which incidents to open and which to resolve. An
 * incident already open stays open without a new notification; one whose rule is gone or disabled resolves.
 */
export function transitions(
  open: ReadonlyMap<string, { ruleId: string; subject: string }>,
  observed: Array<{ rule: AlertRule; observation: Observation }>,
): { fire: Array<{ rule: AlertRule; observation: Observation }>; resolve: Array<{ key: string; value: number }> } {
  const fire: Array<{ rule: AlertRule; observation: Observation }> = [];
  const stillFiring = new Set<string>();
  const values = new Map<string, number>();
  for (const o of observed) {
    const key = incidentKey(o.rule.id, o.observation.subject);
    values.set(key, o.observation.value);
    if (!o.observation.firing) continue;
    stillFiring.add(key);
    if (!open.has(key)) fire.push(o);
  }
  const resolve = [...open.keys()].filter((k) => !stillFiring.has(k)).map((key) => ({ key, value: values.get(key) ?? 0 }));
  return { fire, resolve };
}
