import type { JobEstimate } from '@margin/contracts';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDuration } from '../../../shared/format/duration';
import { formatCount, formatUsd } from '../../../shared/format/money';

interface EstimatePanelProps {
  /** Why there is no estimate yet, when the items are not ready. */
  waitingFor: string | null;
  estimate: JobEstimate | undefined;
  isFetching: boolean;
  error: unknown;
  onRetry: () => void;
  itemCount: number;
}

export function EstimatePanel({ waitingFor, estimate, isFetching, error, onRetry, itemCount }: EstimatePanelProps) {
  return (
    <section className="card" aria-labelledby="estimate-title">
      <h2 id="estimate-title" className="card__title">
        Estimate
      </h2>
      {waitingFor ? (
        <p className="muted">{waitingFor}</p>
      ) : error ? (
        <ErrorMessage error={error} title="Could not estimate the job." onRetry={onRetry} />
      ) : !estimate ? (
        <LoadingState label="Estimating…" />
      ) : (
        <div className="estimate" role="group" aria-label="Estimate for these items" aria-busy={isFetching}>
          <dl className="stats">
            <div className="stat">
              <dt className="stat__label">Estimated cost</dt>
              <dd className="stat__value">{formatUsd(estimate.costUsd)}</dd>
            </div>
            <div className="stat">
              <dt className="stat__label">Estimated time</dt>
              <dd className="stat__value">{formatDuration(estimate.seconds)}</dd>
            </div>
            <div className="stat">
              <dt className="stat__label">Cache hits</dt>
              <dd className="stat__value">
                {formatCount(estimate.cacheHits)} <span className="stat__of">of {formatCount(itemCount)}</span>
              </dd>
            </div>
          </dl>
          {estimate.steps.length ? (
            <div className="table-wrap table-wrap--flat" role="region" aria-label="Estimate by step" tabIndex={0}>
              <table className="table table--compact">
                <thead>
                  <tr>
                    <th scope="col">Step</th>
                    <th scope="col">Model</th>
                    <th scope="col" className="num">
                      Calls
                    </th>
                    <th scope="col" className="num">
                      Cost
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {estimate.steps.map((step, i) => (
                    <tr key={`${step.operation}-${i}`}>
                      <th scope="row">{step.operation}</th>
                      <td>{step.model ? <code>{step.model}</code> : 'No model available'}</td>
                      <td className="num">{formatCount(step.calls)}</td>
                      <td className="num">{formatUsd(step.costUsd)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <p className="muted small">{isFetching ? 'Updating…' : 'Cached items cost nothing. The estimate uses today’s prices and routing.'}</p>
        </div>
      )}
    </section>
  );
}
