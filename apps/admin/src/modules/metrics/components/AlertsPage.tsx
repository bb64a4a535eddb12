import { ALERT_KINDS, type AlertKind, type AlertRule } from '@margin/contracts';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDateTime } from '../../../shared/format/dates';
import { useAlertRules, useAlerts, useSaveAlertRules } from '../hooks/useMetrics';

const EXAMPLE: AlertRule[] = [
  { id: 'queue-backlog', kind: 'queue_depth', enabled: true, threshold: 1000 },
  { id: 'item-failures', kind: 'failure_rate', enabled: true, threshold: 0.1, windowMinutes: 15 },
  { id: 'daily-spend', kind: 'daily_spend', enabled: true, threshold: 50 },
  { id: 'circuits', kind: 'circuit_open', enabled: true, threshold: 0 },
];

/** What each kind watches, and a rule of it to start from (the editor's "Add a rule"). */
const KINDS: Record<AlertKind, { label: string; help: string; template: Omit<AlertRule, 'id'> }> = {
  queue_depth: {
    label: 'Queue depth over N',
    help: 'threshold: jobs waiting in the queue (default analysis)',
    template: { kind: 'queue_depth', enabled: true, threshold: 1000, queue: 'analysis' },
  },
  failure_rate: {
    label: 'Failure rate over x% in a window',
    help: 'threshold: 0–1 of the items finished in the last windowMinutes',
    template: { kind: 'failure_rate', enabled: true, threshold: 0.1, windowMinutes: 15 },
  },
  daily_spend: { label: 'Daily spend over $', help: 'threshold: USD spent today (UTC)', template: { kind: 'daily_spend', enabled: true, threshold: 50 } },
  circuit_open: {
    label: 'Provider/model circuit open',
    help: 'model: one model id, or every model when absent',
    template: { kind: 'circuit_open', enabled: true, threshold: 0 },
  },
  limiter_saturated: {
    label: 'Rate limiter saturated',
    help: 'threshold: 0–1 of a model’s rate limit in use; model: one model id, or every model',
    template: { kind: 'limiter_saturated', enabled: true, threshold: 0.9 },
  },
  first_result_latency: {
    label: 'First result slower than a target',
    help: 'threshold: seconds from a job’s creation to its first item result, for the jobs created in the last windowMinutes (default 60); a job still waiting counts',
    template: { kind: 'first_result_latency', enabled: true, threshold: 60, windowMinutes: 60 },
  },
};

/** The rules with one more of `kind`, under an id not used yet. */
function withRule(rules: AlertRule[], kind: AlertKind): AlertRule[] {
  const base = kind.replace(/_/g, '-');
  const taken = new Set(rules.map((r) => r.id));
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return [...rules, { id, ...KINDS[kind].template }];
}

function RulesEditor() {
  const rules = useAlertRules();
  const save = useSaveAlertRules();
  const [text, setText] = useState('');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [format, setFormat] = useState<'margin' | 'slack'>('margin');
  const [parseError, setParseError] = useState<string | null>(null);
  const [newKind, setNewKind] = useState<AlertKind>('queue_depth');
  const ids = { rules: useId(), url: useId(), secret: useId(), format: useId(), kind: useId() };

  useEffect(() => {
    if (!rules.data) return;
    setText(JSON.stringify(rules.data.rules.length ? rules.data.rules : EXAMPLE, null, 2));
    setUrl(rules.data.webhook?.url ?? '');
    setFormat(rules.data.webhook?.format ?? 'margin');
  }, [rules.data]);

  if (rules.isPending) return <LoadingState label="Loading rules…" />;
  if (rules.isError) return <ErrorMessage error={rules.error} title="Could not load the rules." onRetry={() => void rules.refetch()} />;

  const addRule = () => {
    let current: unknown;
    try {
      current = text.trim() ? JSON.parse(text) : [];
    } catch (err) {
      setParseError(`The rules are not valid JSON: ${(err as Error).message}`);
      return;
    }
    if (!Array.isArray(current)) {
      setParseError('The rules must be a JSON array.');
      return;
    }
    setParseError(null);
    setText(JSON.stringify(withRule(current as AlertRule[], newKind), null, 2));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    let parsed: AlertRule[];
    try {
      parsed = JSON.parse(text) as AlertRule[];
    } catch (err) {
      setParseError(`The rules are not valid JSON: ${(err as Error).message}`);
      return;
    }
    setParseError(null);
    save.mutate({ rules: parsed, webhook: url ? { url, format, ...(secret ? { secret } : {}) } : null });
  };

  return (
    <form className="card form" onSubmit={submit} aria-label="Alert rules">
      <label htmlFor={ids.rules}>Rules (JSON: id, kind, enabled, threshold, windowMinutes, queue, model)</label>
      <textarea id={ids.rules} rows={14} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      <div className="toolbar">
        <label htmlFor={ids.kind}>Kind</label>
        <select id={ids.kind} value={newKind} onChange={(e) => setNewKind(e.target.value as AlertKind)}>
          {ALERT_KINDS.map((k) => (
            <option key={k} value={k}>
              {KINDS[k].label}
            </option>
          ))}
        </select>
        <button type="button" className="button" onClick={addRule}>
          Add a rule
        </button>
      </div>
      <dl className="small" aria-label="Rule kinds">
        {ALERT_KINDS.map((k) => (
          <div key={k}>
            <dt>
              <code>{k}</code> — {KINDS[k].label}
            </dt>
            <dd>{KINDS[k].help}</dd>
          </div>
        ))}
      </dl>
      <label htmlFor={ids.url}>Webhook URL (optional)</label>
      <input id={ids.url} type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hooks.example.com/margin" />
      <label htmlFor={ids.secret}>Signing secret {rules.data.webhook?.secretSet ? '(set; leave empty to keep it)' : ''}</label>
      <input id={ids.secret} type="password" value={secret} onChange={(e) => setSecret(e.target.value)} autoComplete="new-password" />
      <label htmlFor={ids.format}>Body</label>
      <select id={ids.format} value={format} onChange={(e) => setFormat(e.target.value as 'margin' | 'slack')}>
        <option value="margin">Margin JSON (signed)</option>
        <option value="slack">Slack-compatible</option>
      </select>
      {parseError ? <p role="alert">{parseError}</p> : null}
      {save.isError ? <ErrorMessage error={save.error} title="The rules were not saved." /> : null}
      {save.isSuccess ? <p role="status">Rules saved.</p> : null}
      <button type="submit" className="button button--primary" disabled={save.isPending}>
        Save rules
      </button>
    </form>
  );
}

export function AlertsPage() {
  const alerts = useAlerts();
  return (
    <>
      <div className="page-header">
        <h1>Alerts</h1>
        <p className="muted">Rules the worker checks every 30 seconds; each incident is notified once when it fires and once when it resolves.</p>
      </div>
      <section className="section" aria-labelledby="alerts-recent">
        <h2 id="alerts-recent" className="section__title">
          Recent alerts
        </h2>
        {alerts.isPending ? (
          <LoadingState label="Loading alerts…" />
        ) : alerts.isError ? (
          <ErrorMessage error={alerts.error} title="Could not load the alerts." onRetry={() => void alerts.refetch()} />
        ) : alerts.data.length === 0 ? (
          <p className="muted">No alert has fired.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Subject</th>
                <th scope="col">State</th>
                <th scope="col">Value</th>
                <th scope="col">Threshold</th>
                <th scope="col">Started</th>
                <th scope="col">Resolved</th>
              </tr>
            </thead>
            <tbody>
              {alerts.data.map((a) => (
                <tr key={a.id}>
                  <td>{a.rule}</td>
                  <td>{a.subject || '—'}</td>
                  <td>{a.state}</td>
                  <td>{a.value}</td>
                  <td>{a.threshold}</td>
                  <td>{formatDateTime(a.startedAt)}</td>
                  <td>{formatDateTime(a.resolvedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="section" aria-labelledby="alerts-rules">
        <h2 id="alerts-rules" className="section__title">
          Rules
        </h2>
        <RulesEditor />
      </section>
    </>
  );
}
