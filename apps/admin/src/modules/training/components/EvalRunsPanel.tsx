import type { EvalSetView } from '@margin/contracts';
import { useId, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDateTime } from '../../../shared/format/dates';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { useModels } from '../../router/hooks/useRouter';
import { useEvalRuns, useStartEvalRun } from '../hooks/useTraining';
import { EvalCompare } from './EvalCompare';
import { EvalRunDetail } from './EvalRunDetail';
import { RunProgress, RunStatusBadge } from './EvalRunParts';

function StartRunForm({ set }: { set: EvalSetView }) {
  const id = useId();
  const models = useModels();
  const start = useStartEvalRun(set.id);
  const [model, setModel] = useState('');
  const [judge, setJudge] = useState('');
  const [modelError, setModelError] = useState<string | null>(null);
  const enabled = (models.data ?? []).filter((m) => m.enabled);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!model) {
      setModelError('Choose the model to run the set on.');
      return;
    }
    setModelError(null);
    start.mutate(judge ? { model, judgeModel: judge } : { model });
  };

  return (
    <form className="form form--inline" onSubmit={onSubmit} noValidate aria-label={`Run ${set.name}`}>
      <div className="field field--grow">
        <label htmlFor={`${id}-model`}>Model</label>
        <select
          id={`${id}-model`}
          value={model}
          disabled={models.isPending}
          aria-invalid={modelError ? true : undefined}
          aria-describedby={modelError ? `${id}-model-error` : undefined}
          onChange={(event) => setModel(event.target.value)}
        >
          <option value="">{models.isPending ? 'Loading models…' : 'Choose a model…'}</option>
          {enabled.map((m) => (
            <option key={m.id} value={m.id}>
              {m.id} ({m.tier})
            </option>
          ))}
        </select>
        {modelError ? (
          <p id={`${id}-model-error`} className="field__error">
            {modelError}
          </p>
        ) : null}
      </div>
      <div className="field field--grow">
        <label htmlFor={`${id}-judge`}>Judge model (optional)</label>
        <select id={`${id}-judge`} value={judge} disabled={models.isPending} onChange={(event) => setJudge(event.target.value)}>
          <option value="">The routing policy’s judge</option>
          {enabled.map((m) => (
            <option key={m.id} value={m.id}>
              {m.id}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="button button--primary" disabled={start.isPending}>
        {start.isPending ? 'Starting…' : 'Start run'}
      </button>
      {models.isError ? <ErrorMessage error={models.error} title="Could not load the model catalog." /> : null}
      {start.isError ? <ErrorMessage error={start.error} title="Could not start the run." /> : null}
      {start.data ? (
        <p className="muted small" role="status">
          Run queued on {start.data.model}.
        </p>
      ) : null}
    </form>
  );
}

/** The selected set: start a run, follow the runs, open one, compare two. */
export function EvalRunsPanel({ set, canRun }: { set: EvalSetView; canRun: boolean }) {
  const id = useId();
  const runs = useEvalRuns(set.id);
  const [openRun, setOpenRun] = useState<string | null>(null);
  const [pickA, setPickA] = useState('');
  const [pickB, setPickB] = useState('');
  const [pair, setPair] = useState<{ a: string; b: string } | null>(null);
  const list = runs.data ?? [];
  const label = (runId: string) => {
    const run = list.find((r) => r.id === runId);
    return run ? `${run.model} · ${formatDateTime(run.createdAt)}` : runId;
  };

  return (
    <section className="section" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="section__title">
        Runs of {set.name}
      </h2>
      {canRun ? <StartRunForm set={set} /> : <p className="muted small">Viewers can read runs but not start them.</p>}
      {runs.isPending ? (
        <LoadingState label="Loading runs…" />
      ) : runs.isError ? (
        <ErrorMessage error={runs.error} title="Could not load the runs." onRetry={() => void runs.refetch()} />
      ) : list.length === 0 ? (
        <p className="muted">No runs yet.</p>
      ) : (
        <>
          <div className="table-wrap" role="region" aria-label="Runs table" tabIndex={0}>
            <table className="table table--compact">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Status</th>
                  <th scope="col">Progress</th>
                  <th scope="col" className="num">
                    Quality
                  </th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                  <th scope="col" className="num">
                    Mean latency
                  </th>
                  <th scope="col">Started</th>
                  <th scope="col">
                    <span className="visually-hidden">Open</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((run) => (
                  <tr key={run.id}>
                    <th scope="row">
                      <code>{run.model}</code>
                      {run.judgeModel ? <span className="table__detail">judge {run.judgeModel}</span> : null}
                    </th>
                    <td>
                      <RunStatusBadge status={run.status} />
                    </td>
                    <td>
                      <RunProgress run={run} />
                      <span className="table__detail">
                        {formatCount(run.totals.completed + run.totals.failed)}/{formatCount(run.totals.items)}
                      </span>
                    </td>
                    <td className="num">{run.totals.quality === null ? '—' : Number(run.totals.quality.toFixed(1))}</td>
                    <td className="num">{formatUsd(run.totals.costUsd)}</td>
                    <td className="num">{run.totals.meanLatencyMs === null ? '—' : `${formatCount(run.totals.meanLatencyMs)} ms`}</td>
                    <td className="nowrap">{formatDateTime(run.createdAt)}</td>
                    <td className="table__actions">
                      <button type="button" className="button button--secondary button--small" onClick={() => setOpenRun(run.id)}>
                        View<span className="visually-hidden"> run on {run.model}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {list.length >= 2 ? (
            <form
              className="form form--inline"
              aria-label="Compare runs"
              onSubmit={(event) => {
                event.preventDefault();
                if (pickA && pickB && pickA !== pickB) setPair({ a: pickA, b: pickB });
              }}
            >
              {(
                [
                  ['A', pickA, setPickA],
                  ['B', pickB, setPickB],
                ] as const
              ).map(([name, value, set]) => (
                <div className="field field--grow" key={name}>
                  <label htmlFor={`${id}-run-${name}`}>Run {name}</label>
                  <select id={`${id}-run-${name}`} value={value} onChange={(event) => set(event.target.value)}>
                    <option value="">Choose a run…</option>
                    {list.map((run) => (
                      <option key={run.id} value={run.id}>
                        {label(run.id)}
                      </option>
                    ))}
                  </select>
                </div>
              ))}
              <button type="submit" className="button button--secondary" disabled={!pickA || !pickB || pickA === pickB}>
                Compare
              </button>
            </form>
          ) : null}
        </>
      )}
      {openRun ? <EvalRunDetail setId={set.id} runId={openRun} onClose={() => setOpenRun(null)} /> : null}
      {pair ? <EvalCompare setId={set.id} a={pair.a} b={pair.b} onClose={() => setPair(null)} /> : null}
    </section>
  );
}
