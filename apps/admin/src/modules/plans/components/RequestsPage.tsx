import type { PlanAccuracyView, RequestPlanView } from '@margin/contracts';
import { Link } from 'react-router-dom';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDate, formatDateTime } from '../../../shared/format/dates';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { usePlanAccuracy, usePlanList } from '../hooks/usePlans';
import { formatError } from '../types/planForm';
import { planTitle } from '../types/planStatus';
import { PlanStatusBadge } from './PlanStatusBadge';

/** Recent plans with their status, estimate and, once run, what they really cost. */
export function RequestsPage() {
  const plans = usePlanList();
  const accuracy = usePlanAccuracy();
  return (
    <>
      <div className="page-header page-header--actions">
        <div>
          <h1>Requests</h1>
          <p className="muted">Recent plans, newest first: what each was estimated to cost and, once its job finished, what it cost.</p>
        </div>
        <Link to="/requests/new" className="button button--primary">
          New request
        </Link>
      </div>
      <section className="section" aria-labelledby="plans-accuracy">
        <h2 id="plans-accuracy" className="section__title">
          Estimate accuracy
        </h2>
        {accuracy.isPending ? (
          <LoadingState label="Loading the accuracy…" />
        ) : accuracy.isError ? (
          <ErrorMessage error={accuracy.error} title="Could not load the estimate accuracy." onRetry={() => void accuracy.refetch()} />
        ) : (
          <AccuracyStats accuracy={accuracy.data} />
        )}
      </section>
      <section className="section" aria-labelledby="plans-recent">
        <h2 id="plans-recent" className="section__title">
          Recent requests
        </h2>
        {plans.isPending ? (
          <LoadingState label="Loading the requests…" />
        ) : plans.isError ? (
          <ErrorMessage error={plans.error} title="Could not load the requests." onRetry={() => void plans.refetch()} />
        ) : plans.data.length === 0 ? (
          <div className="empty">
            <p className="empty__title">No requests yet.</p>
            <p className="muted">
              <Link to="/requests/new">Make a request</Link> to see its plan here.
            </p>
          </div>
        ) : (
          <PlansTable plans={plans.data} />
        )}
      </section>
    </>
  );
}

function AccuracyStats({ accuracy }: { accuracy: PlanAccuracyView }) {
  return (
    <dl className="stats" role="group" aria-label="Estimate accuracy">
      <div className="stat">
        <dt className="stat__label">Finished plans</dt>
        <dd className="stat__value">{formatCount(accuracy.plans)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Median cost error</dt>
        <dd className="stat__value">{formatError(accuracy.medianCostError)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Median time error</dt>
        <dd className="stat__value">{formatError(accuracy.medianSecondsError)}</dd>
      </div>
    </dl>
  );
}

function PlansTable({ plans }: { plans: RequestPlanView[] }) {
  return (
    <div className="table-wrap" role="region" aria-label="Requests table" tabIndex={0}>
      <table className="table table--compact">
        <thead>
          <tr>
            <th scope="col">Request</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Estimate
            </th>
            <th scope="col" className="num">
              Actual
            </th>
            <th scope="col" className="num">
              Cost error
            </th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {plans.map((plan) => (
            <tr key={plan.id}>
              <th scope="row" className="table__name">
                <Link to={`/requests/${plan.id}`}>{planTitle(plan)}</Link>
                {plan.profile ? (
                  <span className="table__detail">
                    <code>{plan.profile}</code>
                  </span>
                ) : null}
              </th>
              <td>
                <PlanStatusBadge status={plan.status} />
              </td>
              <td className="num">{formatUsd(plan.costUsd)}</td>
              <td className="num">{formatUsd(plan.actual?.costUsd)}</td>
              <td className="num">{formatError(plan.actual?.costError)}</td>
              <td>
                <time dateTime={plan.createdAt} title={formatDateTime(plan.createdAt)}>
                  {formatDate(plan.createdAt)}
                </time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
