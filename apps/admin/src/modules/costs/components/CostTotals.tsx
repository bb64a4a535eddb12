import type { CostSummary } from '@margin/contracts';
import { formatCount, formatUsd } from '../../../shared/format/money';

interface CostTotalsProps {
  summary: CostSummary;
  /** Names the list for assistive technology, e.g. "Totals this month". */
  label: string;
}

/** The headline numbers of a cost summary: spend, savings (routing and cache), calls and tokens. */
export function CostTotals({ summary, label }: CostTotalsProps) {
  return (
    <dl className="stats" aria-label={label}>
      <div className="stat">
        <dt className="stat__label">Spent</dt>
        <dd className="stat__value">{formatUsd(summary.totalUsd)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Saved by routing</dt>
        <dd className="stat__value stat__value--success">{formatUsd(summary.savedByRoutingUsd)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Saved by the cache</dt>
        <dd className="stat__value stat__value--success">{formatUsd(summary.savedByCacheUsd)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Calls</dt>
        <dd className="stat__value">{formatCount(summary.calls)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Tokens in / out</dt>
        <dd className="stat__value">
          {formatCount(summary.inputTokens)} <span className="muted">/</span> {formatCount(summary.outputTokens)}
        </dd>
      </div>
    </dl>
  );
}
