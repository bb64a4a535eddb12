import type { CostSummary } from '@margin/contracts';
import { formatCount, formatPercent, formatUsd } from '../../../shared/format/money';

interface SpendBreakdownProps {
  summary: CostSummary;
  /** What a row is: "Provider" or "Model". */
  keyLabel: string;
  /** Names the table, e.g. "Spend by provider". */
  label: string;
}

/** Spend per group, largest first, with each group's share of the total. */
export function SpendBreakdown({ summary, keyLabel, label }: SpendBreakdownProps) {
  if (summary.rows.length === 0) {
    return <p className="muted">No calls this period.</p>;
  }
  return (
    <div className="table-wrap table-wrap--flat">
      <table className="table table--compact" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">{keyLabel}</th>
            <th scope="col" className="num">
              Calls
            </th>
            <th scope="col" className="num">
              Spend
            </th>
            <th scope="col">Share</th>
          </tr>
        </thead>
        <tbody>
          {summary.rows.map((row) => {
            const share = summary.totalUsd > 0 ? row.costUsd / summary.totalUsd : 0;
            return (
              <tr key={row.key}>
                <th scope="row" className="table__name breakdown__key">
                  <code>
                    <BreakAfterSlash text={row.key} />
                  </code>
                </th>
                <td className="num">{formatCount(row.calls)}</td>
                <td className="num">{formatUsd(row.costUsd)}</td>
                <td>
                  <span className="share">
                    <span className="share__track" aria-hidden="true">
                      <span className="share__bar" style={{ width: `${Math.min(share, 1) * 100}%` }} />
                    </span>
                    {formatPercent(share, 0)}
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Lets `anthropic/claude-sonnet-4-5` wrap after the provider rather than overflow a narrow card. */
function BreakAfterSlash({ text }: { text: string }) {
  const slash = text.indexOf('/');
  if (slash < 0) return text;
  return (
    <>
      <span className="nowrap">{text.slice(0, slash + 1)}</span>
      <wbr />
      <span className="nowrap">{text.slice(slash + 1)}</span>
    </>
  );
}
