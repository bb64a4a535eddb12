import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { useEvalRun } from '../hooks/useTraining';
import { RunStatusBadge, RunTotals } from './EvalRunParts';

function scoresText(scores: Record<string, number | undefined> | null): string {
  if (!scores) return '—';
  const parts = Object.entries(scores)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${Number((v as number).toFixed(3))}`);
  return parts.length ? parts.join(', ') : '—';
}

/** One run: its totals and every item's scores, cost and latency. */
export function EvalRunDetail({ setId, runId, onClose }: { setId: string; runId: string; onClose: () => void }) {
  const run = useEvalRun(setId, runId);
  return (
    <section className="card" aria-labelledby="eval-run-title">
      <div className="card__header">
        <h3 id="eval-run-title" className="card__title">
          Run on {run.data ? <code>{run.data.model}</code> : '…'}
        </h3>
        <button type="button" className="button button--secondary button--small" onClick={onClose}>
          Close run
        </button>
      </div>
      {run.isPending ? (
        <LoadingState label="Loading the run…" />
      ) : run.isError ? (
        <ErrorMessage error={run.error} title="Could not load the run." onRetry={() => void run.refetch()} />
      ) : (
        <>
          <p className="small">
            <RunStatusBadge status={run.data.status} />{' '}
            {run.data.judgeModel ? (
              <>
                Judge: <code>{run.data.judgeModel}</code>
              </>
            ) : null}
          </p>
          {run.data.error ? <p className="notice notice--error">{run.data.error}</p> : null}
          <RunTotals totals={run.data.totals} />
          <div className="table-wrap" role="region" aria-label="Run items table" tabIndex={0}>
            <table className="table table--compact">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Item
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Quality
                  </th>
                  <th scope="col">Scores</th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                  <th scope="col" className="num">
                    Latency
                  </th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {(run.data.items ?? []).map((item) => (
                  <tr key={item.seq}>
                    <th scope="row" className="num">
                      {item.seq}
                    </th>
                    <td>{item.status === 'completed' ? 'Completed' : 'Failed'}</td>
                    <td className="num">{item.quality ?? '—'}</td>
                    <td className="small">{scoresText(item.scores as Record<string, number | undefined> | null)}</td>
                    <td className="num">{formatUsd(item.costUsd)}</td>
                    <td className="num">{formatCount(item.latencyMs)} ms</td>
                    <td className="table__wrap-cell">{item.error ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
