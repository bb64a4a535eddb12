import { useState } from 'react';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDateTime } from '../../../shared/format/dates';
import { formatCount } from '../../../shared/format/money';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { useEvalSets } from '../hooks/useTraining';
import { EvalRunsPanel } from './EvalRunsPanel';
import { EvalSetForm } from './EvalSetForm';
import './training.css';

/** Eval sets (the built-in ones and the tenant's), runs of a set on a model, and two runs compared. */
export function EvalsPage() {
  const permissions = usePermissions();
  const sets = useEvalSets();
  const [selected, setSelected] = useState<string | null>(null);
  const canRun = permissions?.canRunJobs ?? false;
  const set = sets.data?.find((s) => s.id === selected) ?? null;

  return (
    <>
      <div className="page-header">
        <h1>Evals</h1>
        <p className="muted">Run a fixed set of inputs on a model and score it: quality, cost and latency, run against run.</p>
      </div>
      {sets.isPending ? (
        <LoadingState label="Loading eval sets…" />
      ) : sets.isError ? (
        <ErrorMessage error={sets.error} title="Could not load the eval sets." onRetry={() => void sets.refetch()} />
      ) : (
        <section className="section" aria-labelledby="eval-sets-title">
          <h2 id="eval-sets-title" className="section__title">
            Eval sets
          </h2>
          <div className="table-wrap" role="region" aria-label="Eval sets table" tabIndex={0}>
            <table className="table table--compact">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Profile</th>
                  <th scope="col" className="num">
                    Items
                  </th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Open</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sets.data.map((s) => (
                  <tr key={s.id} aria-current={s.id === selected ? 'true' : undefined}>
                    <th scope="row">
                      {s.name} {s.builtIn ? <Badge tone="accent">Built-in</Badge> : null}
                    </th>
                    <td>{s.profileKey}</td>
                    <td className="num">{formatCount(s.items)}</td>
                    <td className="nowrap">{formatDateTime(s.createdAt)}</td>
                    <td className="table__actions">
                      <button type="button" className="button button--secondary button--small" onClick={() => setSelected(s.id)}>
                        Runs<span className="visually-hidden"> of {s.name}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {set ? <EvalRunsPanel key={set.id} set={set} canRun={canRun} /> : null}
      {canRun ? <EvalSetForm onCreated={setSelected} /> : null}
    </>
  );
}
