import type { ExampleFiltersQuery, TrainingExampleView } from '@margin/contracts';
import { useState } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDateTime } from '../../../shared/format/dates';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { useExamples } from '../hooks/useTraining';
import { ExampleDetailDialog } from './ExampleDetailDialog';

function feedbackText(example: TrainingExampleView): string {
  const f = example.feedback;
  if (!f) return '—';
  return `${f.rating}/5${f.approved ? ' ✓' : ''}${f.edited ? ' (corrected)' : ''}`;
}

/** The recorded examples matching the filters, newest first; "Load more" follows the API's cursor. */
export function ExamplesSection({ filters }: { filters: ExampleFiltersQuery }) {
  const examples = useExamples(filters);
  const [shown, setShown] = useState<TrainingExampleView | null>(null);
  const rows = examples.data?.pages.flatMap((page) => page.data) ?? [];

  return (
    <section className="section" aria-labelledby="examples-title">
      <h2 id="examples-title" className="section__title">
        Examples
      </h2>
      {examples.isPending ? (
        <LoadingState label="Loading examples…" />
      ) : examples.isError && rows.length === 0 ? (
        <ErrorMessage error={examples.error} title="Could not load the examples." onRetry={() => void examples.refetch()} />
      ) : rows.length === 0 ? (
        <div className="empty">
          <p className="empty__title">No examples match.</p>
          <p className="muted">Examples are recorded as calls are answered; change the filters or run a job.</p>
        </div>
      ) : (
        <>
          <div className="table-wrap" role="region" aria-label="Examples table" tabIndex={0}>
            <table className="table table--compact">
              <thead>
                <tr>
                  <th scope="col">Recorded</th>
                  <th scope="col">Profile</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">
                    Tokens
                  </th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                  <th scope="col" className="num">
                    Latency
                  </th>
                  <th scope="col" className="num">
                    Quality
                  </th>
                  <th scope="col">Feedback</th>
                  <th scope="col">
                    <span className="visually-hidden">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((example) => (
                  <tr key={example.id}>
                    <td className="nowrap">{formatDateTime(example.createdAt)}</td>
                    <td>{example.profileKey ?? '—'}</td>
                    <td>
                      {example.operation}
                      {example.step ? <span className="table__detail">{example.step}</span> : null}
                    </td>
                    <td>
                      <code>{example.model}</code>
                    </td>
                    <td className="num">{formatCount(example.inputTokens + example.outputTokens)}</td>
                    <td className="num">{formatUsd(example.costUsd)}</td>
                    <td className="num">{formatCount(example.latencyMs)} ms</td>
                    <td className="num">{example.quality ?? '—'}</td>
                    <td>{feedbackText(example)}</td>
                    <td className="table__actions">
                      <button type="button" className="button button--secondary button--small" onClick={() => setShown(example)}>
                        Details<span className="visually-hidden"> of example {example.id}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {examples.isFetchNextPageError ? <ErrorMessage error={examples.error} title="Could not load more examples." /> : null}
          <div className="pager">
            <p className="muted small" role="status">
              {formatCount(rows.length)} {rows.length === 1 ? 'example' : 'examples'} shown{examples.hasNextPage ? '' : ' (all of them)'}
            </p>
            {examples.hasNextPage ? (
              <button type="button" className="button button--secondary" disabled={examples.isFetchingNextPage} onClick={() => void examples.fetchNextPage()}>
                {examples.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            ) : null}
          </div>
        </>
      )}
      {shown ? <ExampleDetailDialog example={shown} onClose={() => setShown(null)} /> : null}
    </section>
  );
}
