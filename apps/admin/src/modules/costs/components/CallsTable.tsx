import type { LlmCallView } from '@margin/contracts';
import { Badge } from '../../../shared/components/Badge';
import { formatDateTime } from '../../../shared/format/dates';
import { formatCount, formatUsd } from '../../../shared/format/money';

interface CallsTableProps {
  calls: LlmCallView[];
}

export function CallsTable({ calls }: CallsTableProps) {
  return (
    <div className="table-wrap" role="region" aria-label="Calls table" tabIndex={0}>
      <table className="table table--compact">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Operation</th>
            <th scope="col">Model</th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col" className="num">
              Tokens in / out
            </th>
            <th scope="col" className="num">
              Latency
            </th>
            <th scope="col">Outcome</th>
            <th scope="col">Routing</th>
            <th scope="col">Job</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((call) => (
            <tr key={call.id}>
              <td>
                <time dateTime={call.createdAt}>{formatDateTime(call.createdAt)}</time>
              </td>
              <td>{call.operation}</td>
              <td>
                <code title={`Provider: ${call.provider}`}>{call.model}</code>
              </td>
              <td className="num">{formatUsd(call.costUsd)}</td>
              <td className="num">
                {formatCount(call.inputTokens)} / {formatCount(call.outputTokens)}
                {call.cachedInputTokens > 0 ? <span className="table__detail">{formatCount(call.cachedInputTokens)} input cached</span> : null}
              </td>
              <td className="num">{formatCount(call.latencyMs)} ms</td>
              <td>
                <span title={call.error ?? undefined}>
                  <Badge tone={call.outcome === 'success' ? 'success' : 'danger'}>{call.outcome}</Badge>
                </span>
                {call.emulated ? (
                  <>
                    {' '}
                    <Badge tone="warning">Emulated</Badge>
                  </>
                ) : null}
                {call.error ? <span className="table__detail">{call.error}</span> : null}
              </td>
              <td className="table__wrap-cell">
                {call.routingReason ?? '—'}
                {call.fallbackFrom ? (
                  <span className="table__detail">
                    Fallback from <code>{call.fallbackFrom}</code>
                  </span>
                ) : null}
              </td>
              <td>{call.jobId ? <code title={call.jobId}>{call.jobId.slice(0, 8)}…</code> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
