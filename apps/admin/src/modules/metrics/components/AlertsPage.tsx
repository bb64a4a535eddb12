import type { AlertRule } from '@margin/contracts';
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

function RulesEditor() {
  const rules = useAlertRules();
  const save = useSaveAlertRules();
  const [text, setText] = useState('');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [format, setFormat] = useState<'margin' | 'slack'>('margin');
  const [parseError, setParseError] = useState<string | null>(null);
  const ids = { rules: useId(), url: useId(), secret: useId(), format: useId() };

  useEffect(() => {
    if (!rules.data) return;
    setText(JSON.stringify(rules.data.rules.length ? rules.data.rules : EXAMPLE, null, 2));
    setUrl(rules.data.webhook?.url ?? '');
    setFormat(rules.data.webhook?.format ?? 'margin');
  }, [rules.data]);

  if (rules.isPending) return <LoadingState label="Loading rules…" />;
  if (rules.isError) return <ErrorMessage error={rules.error} title="Could not load the rules." onRetry={() => void rules.refetch()} />;

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
