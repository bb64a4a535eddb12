import type { PolicyCell } from '@margin/contracts';
import { formatPercent } from '../../../shared/format/money';

/** A cell's candidates in the order they are tried: the first is preferred, the rest are its fallbacks. */
export function PolicyChain({ cell }: { cell: PolicyCell | null }) {
  if (!cell || cell.candidates.length === 0) return <span className="muted">No candidates</span>;
  return (
    <>
      <ol className="chain">
        {cell.candidates.map((candidate) => (
          <li key={candidate} className="chain__item">
            <code>{candidate}</code>
          </li>
        ))}
      </ol>
      {cell.abTest ? (
        <p className="chain__ab small">
          A/B test: {formatPercent(cell.abTest.share)} to <code>{cell.abTest.challenger}</code> first
        </p>
      ) : null}
    </>
  );
}
