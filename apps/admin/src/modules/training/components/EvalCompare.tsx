import type { EvalCompareCell, EvalRunView } from '@margin/contracts';
import { useMemo } from 'react';
import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { useCompareRuns } from '../hooks/useTraining';
import { RunStatusBadge, RunTotals } from './EvalRunParts';

const cellText = (cell: EvalCompareCell | null) => (cell ? (cell.status === 'failed' ? 'failed' : (cell.quality ?? '—')) : 'not run');

function points(items: Array<{ seq: number; cell: EvalCompareCell | null }>) {
  return items
    .filter((i): i is { seq: number; cell: EvalCompareCell } => i.cell !== null && i.cell.quality !== null)
    .map((i) => ({ seq: i.seq, cost: i.cell.costUsd, quality: i.cell.quality }));
}

function RunColumn({ run, label }: { run: EvalRunView; label: string }) {
  return (
    <section className="card" aria-label={`Run ${label}: ${run.model}`}>
      <h4 className="card__title">
        {label}: <code>{run.model}</code> <RunStatusBadge status={run.status} />
      </h4>
      <RunTotals totals={run.totals} />
    </section>
  );
}

/** Two runs of a set side by side: totals, each item's quality, and quality against cost per item. */
export function EvalCompare({ setId, a, b, onClose }: { setId: string; a: string; b: string; onClose: () => void }) {
  const compare = useCompareRuns(setId, { a, b });
  const series = useMemo(() => {
    const items = compare.data?.items ?? [];
    return {
      a: points(items.map((i) => ({ seq: i.seq, cell: i.a }))),
      b: points(items.map((i) => ({ seq: i.seq, cell: i.b }))),
    };
  }, [compare.data]);

  return (
    <section className="section" aria-labelledby="eval-compare-title">
      <div className="toolbar toolbar--between">
        <h3 id="eval-compare-title" className="section__title">
          Comparison
        </h3>
        <button type="button" className="button button--secondary button--small" onClick={onClose}>
          Close comparison
        </button>
      </div>
      {compare.isPending ? (
        <LoadingState label="Comparing the runs…" />
      ) : compare.isError ? (
        <ErrorMessage error={compare.error} title="Could not compare the runs." onRetry={() => void compare.refetch()} />
      ) : (
        <>
          <div className="compare-columns">
            <RunColumn run={compare.data.runs[0]} label="A" />
            <RunColumn run={compare.data.runs[1]} label="B" />
          </div>
          <figure className="card chart" aria-label="Quality vs cost per item">
            <figcaption className="card__title">Quality vs cost per item</figcaption>
            <div className="chart__canvas">
              <ResponsiveContainer width="100%" height="100%">
                <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis type="number" dataKey="cost" name="Cost (USD)" tickFormatter={(v: number) => formatUsd(v)} />
                  <YAxis type="number" dataKey="quality" name="Quality" domain={[0, 100]} />
                  <ZAxis type="number" dataKey="seq" name="Item" range={[40, 40]} />
                  <Tooltip cursor={{ strokeDasharray: '3 3' }} />
                  <Legend />
                  <Scatter name={`A: ${compare.data.runs[0].model}`} data={series.a} fill="#2563eb" isAnimationActive={false} />
                  <Scatter name={`B: ${compare.data.runs[1].model}`} data={series.b} fill="#c2410c" isAnimationActive={false} />
                </ScatterChart>
              </ResponsiveContainer>
            </div>
          </figure>
          <div className="table-wrap" role="region" aria-label="Compared items table" tabIndex={0}>
            <table className="table table--compact">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Item
                  </th>
                  <th scope="col" className="num">
                    Quality A
                  </th>
                  <th scope="col" className="num">
                    Quality B
                  </th>
                  <th scope="col" className="num">
                    Cost A
                  </th>
                  <th scope="col" className="num">
                    Cost B
                  </th>
                  <th scope="col" className="num">
                    Latency A
                  </th>
                  <th scope="col" className="num">
                    Latency B
                  </th>
                </tr>
              </thead>
              <tbody>
                {compare.data.items.map((item) => (
                  <tr key={item.seq}>
                    <th scope="row" className="num">
                      {item.seq}
                    </th>
                    <td className="num">{cellText(item.a)}</td>
                    <td className="num">{cellText(item.b)}</td>
                    <td className="num">{formatUsd(item.a?.costUsd)}</td>
                    <td className="num">{formatUsd(item.b?.costUsd)}</td>
                    <td className="num">{item.a ? `${formatCount(item.a.latencyMs)} ms` : '—'}</td>
                    <td className="num">{item.b ? `${formatCount(item.b.latencyMs)} ms` : '—'}</td>
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
