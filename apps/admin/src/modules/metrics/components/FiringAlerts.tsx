import { Link } from 'react-router-dom';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { formatDateTime } from '../../../shared/format/dates';
import { formatPercent, formatUsd } from '../../../shared/format/money';
import { useAlertFeed } from '../hooks/useAlertFeed';
import { useAlerts } from '../hooks/useMetrics';

/** The dashboard's alert card: what is firing now (kept fresh by the feed) and the latest budget alert. */
export function FiringAlerts() {
  const alerts = useAlerts();
  const budgetAlert = useAlertFeed();
  const firing = (alerts.data ?? []).filter((a) => a.state === 'firing');
  return (
    <section className="card" aria-labelledby="dash-alerts">
      <div className="card__header">
        <h2 id="dash-alerts" className="card__title">
          Alerts
        </h2>
        <Link to="/alerts" className="small">
          Rules and history
        </Link>
      </div>
      {budgetAlert ? (
        <p role="alert">
          Budget alert: {formatPercent(budgetAlert.threshold)} of the monthly budget reached ({formatUsd(budgetAlert.spentUsd)} of{' '}
          {formatUsd(budgetAlert.limitUsd)}).
        </p>
      ) : null}
      {alerts.isError ? (
        <ErrorMessage error={alerts.error} title="Could not load the alerts." onRetry={() => void alerts.refetch()} />
      ) : alerts.isPending ? null : firing.length === 0 ? (
        <p className="muted">No alert is firing.</p>
      ) : (
        <ul className="list">
          {firing.map((a) => (
            <li key={a.id}>
              <strong>{a.rule}</strong>
              {a.subject ? ` (${a.subject})` : ''}: {a.value} over {a.threshold}, since {formatDateTime(a.startedAt)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
