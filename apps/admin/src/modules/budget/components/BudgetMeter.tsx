import type { BudgetView } from '@margin/contracts';
import { Badge } from '../../../shared/components/Badge';
import { formatDateTime, formatUtcDate } from '../../../shared/format/dates';
import { formatPercent, formatUsd } from '../../../shared/format/money';

interface BudgetMeterProps {
  budget: BudgetView;
}

/** Spend this month against the monthly limit, with each alert threshold marked on the bar. */
export function BudgetMeter({ budget }: BudgetMeterProps) {
  const { monthlyLimitUsd: limit, spentUsd: spent, reservedUsd: reserved } = budget;

  if (limit === null) {
    return (
      <div className="budget">
        <p className="budget__headline">
          <strong>{formatUsd(spent)}</strong> spent this month
        </p>
        <p className="muted">No monthly limit is set, so alerts and the hard stop are off.</p>
        {reserved > 0 ? <p className="muted small">{formatUsd(reserved)} reserved for calls in flight.</p> : null}
      </div>
    );
  }

  const used = limit > 0 ? spent / limit : spent > 0 ? 1 : 0;
  const reservedShare = limit > 0 ? reserved / limit : 0;
  const fill = Math.min(used, 1);
  const reservedFill = Math.max(0, Math.min(used + reservedShare, 1) - fill);
  // Against today's limit: `alerts` is this month's history and may refer to an earlier limit.
  const reached = (threshold: number): boolean => spent >= threshold * limit;
  const tone = used >= 1 ? 'over' : budget.alertThresholds.some((t) => t <= 1 && reached(t)) ? 'warn' : 'ok';
  const valueText = `${formatUsd(spent)} of ${formatUsd(limit)} (${formatPercent(used)})`;

  return (
    <div className="budget">
      <p className="budget__headline">
        <strong>{formatUsd(spent)}</strong> of {formatUsd(limit)} spent this month
        <span className="muted"> · {formatPercent(used)}</span>
      </p>
      <div
        className={`meter meter--${tone}`}
        role="meter"
        aria-label="Spend this month against the budget"
        aria-valuemin={0}
        aria-valuemax={limit}
        aria-valuenow={Math.min(spent, limit)}
        aria-valuetext={valueText}
      >
        <span className="meter__fill" style={{ width: `${fill * 100}%` }} />
        {reservedFill > 0 ? <span className="meter__reserved" style={{ left: `${fill * 100}%`, width: `${reservedFill * 100}%` }} /> : null}
        {budget.alertThresholds
          .filter((threshold) => threshold <= 1)
          .map((threshold) => (
            <span
              key={threshold}
              className={`meter__tick${reached(threshold) ? ' meter__tick--reached' : ''}`}
              style={{ left: `${threshold * 100}%` }}
              title={`Alert at ${formatPercent(threshold)}`}
              aria-hidden="true"
            />
          ))}
      </div>
      <ul className="thresholds" aria-label="Alert thresholds">
        {budget.alertThresholds.length === 0 ? <li className="muted">No alert thresholds.</li> : null}
        {budget.alertThresholds.map((threshold) => (
          <li key={threshold} className={reached(threshold) ? 'thresholds__item thresholds__item--reached' : 'thresholds__item'}>
            {formatPercent(threshold)} ({formatUsd(threshold * limit)}){reached(threshold) ? ' · reached' : ''}
          </li>
        ))}
      </ul>
      <p className="muted small">
        {budget.hardStop ? <Badge tone="danger">Hard stop</Badge> : <Badge tone="neutral">Alerts only</Badge>}{' '}
        {budget.hardStop ? 'Calls that would pass the limit are refused.' : 'Calls go on past the limit; only alerts are sent.'}{' '}
        {reserved > 0 ? `${formatUsd(reserved)} reserved for calls in flight. ` : ''}
        Resets <time dateTime={budget.resetsAt}>{formatUtcDate(budget.resetsAt)}</time>.
      </p>
      <AlertHistory budget={budget} />
    </div>
  );
}

/** The alerts sent this month, newest first. */
function AlertHistory({ budget }: BudgetMeterProps) {
  if (budget.alerts.length === 0) return null;
  const alerts = [...budget.alerts].sort((a, b) => b.at.localeCompare(a.at));
  return (
    <details className="alert-history">
      <summary>
        {alerts.length} alert{alerts.length === 1 ? '' : 's'} sent this month
      </summary>
      <ul>
        {alerts.map((alert) => (
          <li key={`${alert.threshold}-${alert.at}`}>
            <time dateTime={alert.at}>{formatDateTime(alert.at)}</time>: {formatPercent(alert.threshold)} of {formatUsd(alert.limitUsd)} crossed at{' '}
            {formatUsd(alert.spentUsd)}
          </li>
        ))}
      </ul>
    </details>
  );
}
