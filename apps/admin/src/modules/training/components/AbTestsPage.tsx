import { COMPLEXITIES, type AbArmView, type Complexity, type PromotionView } from '@margin/contracts';
import { useMemo } from 'react';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDate, formatDateTime } from '../../../shared/format/dates';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { useAbReport, useEvaluatePromotion, usePromotions, useRevertPromotion } from '../hooks/useTraining';
import './training.css';

interface Cell {
  operation: string;
  complexity: string | null;
  arms: AbArmView[];
}

function cellsOf(arms: AbArmView[]): Cell[] {
  const byKey = new Map<string, Cell>();
  for (const arm of arms) {
    const key = `${arm.operation}|${arm.complexity ?? ''}`;
    const cell = byKey.get(key) ?? { operation: arm.operation, complexity: arm.complexity, arms: [] };
    cell.arms.push(arm);
    byKey.set(key, cell);
  }
  // Incumbent first within a cell.
  for (const cell of byKey.values()) cell.arms.sort((a, b) => (a.arm === b.arm ? a.model.localeCompare(b.model) : a.arm === 'incumbent' ? -1 : 1));
  return [...byKey.values()].sort((a, b) => `${a.operation}|${a.complexity}`.localeCompare(`${b.operation}|${b.complexity}`));
}

const isComplexity = (value: string | null): value is Complexity => value !== null && (COMPLEXITIES as readonly string[]).includes(value);
const cellName = (operation: string, complexity: string | null) => `${operation} × ${complexity ?? 'any'}`;
const mean = (value: number | null, digits = 1) => (value === null ? '—' : String(Number(value.toFixed(digits))));

function CellCard({ cell, isAdmin }: { cell: Cell; isAdmin: boolean }) {
  const evaluate = useEvaluatePromotion();
  const name = cellName(cell.operation, cell.complexity);
  const complexity = cell.complexity;
  const run = (apply: boolean) => {
    if (isComplexity(complexity)) evaluate.mutate({ operation: cell.operation, complexity, apply });
  };

  return (
    <section className="card" aria-label={`Cell ${name}`}>
      <h3 className="card__title">{name}</h3>
      <div className="table-wrap table-wrap--flat">
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col">Arm</th>
              <th scope="col">Model</th>
              <th scope="col" className="num">
                Calls
              </th>
              <th scope="col" className="num">
                Failures
              </th>
              <th scope="col" className="num">
                Cost
              </th>
              <th scope="col" className="num">
                Quality (judged)
              </th>
              <th scope="col" className="num">
                Rating (rated)
              </th>
            </tr>
          </thead>
          <tbody>
            {cell.arms.map((arm) => (
              <tr key={`${arm.arm}-${arm.model}`}>
                <td>
                  <Badge tone={arm.arm === 'incumbent' ? 'neutral' : 'accent'}>{arm.arm === 'incumbent' ? 'Incumbent' : 'Challenger'}</Badge>
                </td>
                <td>
                  <code>{arm.model}</code>
                </td>
                <td className="num">{formatCount(arm.calls)}</td>
                <td className="num">{formatCount(arm.failures)}</td>
                <td className="num">{formatUsd(arm.costUsd)}</td>
                <td className="num">
                  {mean(arm.quality)} ({formatCount(arm.judged)})
                </td>
                <td className="num">
                  {mean(arm.rating, 2)} ({formatCount(arm.rated)})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {isAdmin && isComplexity(complexity) ? (
        <div className="form__actions">
          <button type="button" className="button button--secondary button--small" disabled={evaluate.isPending} onClick={() => run(false)}>
            Check the rule<span className="visually-hidden"> for {name}</span>
          </button>
          <button type="button" className="button button--primary button--small" disabled={evaluate.isPending} onClick={() => run(true)}>
            Promote challenger<span className="visually-hidden"> of {name}</span>
          </button>
        </div>
      ) : null}
      {evaluate.isError ? <ErrorMessage error={evaluate.error} title="Could not evaluate the promotion rule." /> : null}
      {evaluate.data ? (
        <p className="small" role="status">
          {evaluate.data.applied
            ? `Promoted ${evaluate.data.toModel} over ${evaluate.data.fromModel}.`
            : evaluate.data.action === 'promote'
              ? `The rule would promote ${evaluate.data.toModel}.`
              : `Held: ${evaluate.data.fromModel} stays.`}{' '}
          {evaluate.data.reason}
        </p>
      ) : null}
    </section>
  );
}

function PromotionHistory({ promotions, isAdmin }: { promotions: PromotionView[]; isAdmin: boolean }) {
  const revert = useRevertPromotion();
  if (promotions.length === 0) return <p className="muted">The promotion rule has not been evaluated yet.</p>;
  return (
    <>
      {revert.isError ? <ErrorMessage error={revert.error} title="Could not revert the promotion." /> : null}
      <div className="table-wrap" role="region" aria-label="Promotion history table" tabIndex={0}>
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Cell</th>
              <th scope="col">Decision</th>
              <th scope="col">Models</th>
              <th scope="col">Reason</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {promotions.map((p) => (
              <tr key={p.id}>
                <td className="nowrap">{formatDateTime(p.createdAt)}</td>
                <td>{cellName(p.operation, p.complexity)}</td>
                <td>{p.action === 'promote' ? 'Promote' : 'Hold'}</td>
                <td className="small">
                  <code>{p.fromModel}</code> → <code>{p.toModel}</code>
                </td>
                <td className="table__wrap-cell small">{p.reason}</td>
                <td>
                  {p.revertedAt ? (
                    <Badge tone="warning">Reverted {formatDate(p.revertedAt)}</Badge>
                  ) : p.applied ? (
                    <Badge tone="success">Applied</Badge>
                  ) : (
                    <Badge>Proposed only</Badge>
                  )}
                </td>
                <td className="table__actions">
                  {isAdmin && p.applied && !p.revertedAt ? (
                    <button
                      type="button"
                      className="button button--danger-outline button--small"
                      disabled={revert.isPending}
                      onClick={() => revert.mutate(p.id)}
                    >
                      Revert
                      <span className="visually-hidden">
                        {' '}
                        promotion of {p.toModel} in {cellName(p.operation, p.complexity)}
                      </span>
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** A/B results per split policy cell, the promotion rule's verdicts, and promote / revert for admins. */
export function AbTestsPage() {
  const permissions = usePermissions();
  const report = useAbReport();
  const promotions = usePromotions();
  const cells = useMemo(() => cellsOf(report.data?.arms ?? []), [report.data]);
  const isAdmin = permissions?.isAdmin ?? false;

  return (
    <>
      <div className="page-header">
        <h1>A/B tests</h1>
        <p className="muted">
          Each split policy cell’s arms: the ledger’s calls and cost beside assessed quality and people’s ratings
          {report.data ? ` (${formatDate(report.data.from)} to ${formatDate(report.data.to)})` : ''}.
        </p>
        {permissions && !isAdmin ? <p className="muted small">Only admins and owners can promote or revert.</p> : null}
      </div>
      <section className="section" aria-labelledby="ab-cells-title">
        <h2 id="ab-cells-title" className="section__title">
          Split cells
        </h2>
        {report.isPending ? (
          <LoadingState label="Loading the A/B report…" />
        ) : report.isError ? (
          <ErrorMessage error={report.error} title="Could not load the A/B report." onRetry={() => void report.refetch()} />
        ) : cells.length === 0 ? (
          <p className="muted">No A/B traffic in this period: give a policy cell a challenger on the Router page.</p>
        ) : (
          <div className="ab-cells">
            {cells.map((cell) => (
              <CellCard key={`${cell.operation}|${cell.complexity}`} cell={cell} isAdmin={isAdmin} />
            ))}
          </div>
        )}
      </section>
      <section className="section" aria-labelledby="ab-history-title">
        <h2 id="ab-history-title" className="section__title">
          Promotion history
        </h2>
        {promotions.isPending ? (
          <LoadingState label="Loading the history…" />
        ) : promotions.isError ? (
          <ErrorMessage error={promotions.error} title="Could not load the promotion history." onRetry={() => void promotions.refetch()} />
        ) : (
          <PromotionHistory promotions={promotions.data} isAdmin={isAdmin} />
        )}
      </section>
    </>
  );
}
