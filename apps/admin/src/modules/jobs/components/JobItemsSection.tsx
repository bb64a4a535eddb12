import { ITEM_STATUSES, type ItemStatus, type JobItemView } from '@margin/contracts';
import { useEffect, useId, useRef, useState } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { useJobItems } from '../hooks/useJobs';
import { itemStatusLabel } from '../types/jobState';
import { ItemResultDialog } from './ItemResultDialog';
import { ItemStatusBadge } from './JobStatusBadge';

export const ITEMS_PAGE_SIZE = 20;

export function JobItemsSection({ jobId, canMakePosts = false }: { jobId: string; canMakePosts?: boolean }) {
  const [status, setStatus] = useState<ItemStatus | ''>('');
  // cursors[n] opens page n: the last index of page n - 1 (none for the first page).
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const page = cursors.length - 1;
  const items = useJobItems(jobId, { status: status || undefined, limit: ITEMS_PAGE_SIZE, cursor: cursors[page] });
  const [selected, setSelected] = useState<JobItemView | null>(null);
  const returnFocusTo = useRef<HTMLElement | null>(null);
  const statusId = useId();
  const permissions = usePermissions();

  const rows = items.data?.data ?? [];
  // The dialog follows the item as the page refreshes (a running item gets its result).
  const shown = selected ? (rows.find((row) => row.id === selected.id) ?? selected) : null;

  useEffect(() => {
    if (selected === null && returnFocusTo.current) {
      returnFocusTo.current.focus();
      returnFocusTo.current = null;
    }
  }, [selected]);

  const open = (item: JobItemView, trigger: HTMLElement | null): void => {
    returnFocusTo.current = trigger;
    setSelected(item);
  };

  return (
    <section className="section" aria-labelledby="job-items-title">
      <div className="toolbar toolbar--between">
        <h2 id="job-items-title" className="section__title">
          Items
        </h2>
        <div className="form form--inline" role="group" aria-label="Filter items">
          <div className="field">
            <label htmlFor={statusId}>Item status</label>
            <select
              id={statusId}
              value={status}
              onChange={(event) => {
                setStatus(event.target.value as ItemStatus | '');
                setCursors([undefined]);
              }}
            >
              <option value="">All items</option>
              {ITEM_STATUSES.map((value) => (
                <option key={value} value={value}>
                  {itemStatusLabel(value)}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>

      {items.isPending ? (
        <LoadingState label="Loading items…" />
      ) : items.data === undefined ? (
        <ErrorMessage error={items.error} title="Could not load the items." onRetry={() => void items.refetch()} />
      ) : rows.length === 0 ? (
        <div className="empty">
          <p className="empty__title">{status ? `No ${itemStatusLabel(status).toLowerCase()} items.` : 'No items.'}</p>
          {status ? <p className="muted">Choose another status, or all items.</p> : null}
        </div>
      ) : (
        <>
          {items.isError ? <ErrorMessage error={items.error} title="Could not refresh the items." /> : null}
          <div className="table-wrap" role="region" aria-label="Job items table" tabIndex={0}>
            <table className="table table--compact items-table">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Item
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">Cached</th>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                  <th scope="col">Error</th>
                  <th scope="col">
                    <span className="visually-hidden">Result</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((item) => (
                  <tr
                    key={item.id}
                    className="table__row--clickable"
                    // The button is the accessible way in; a click anywhere on the row is a shortcut for the mouse.
                    onClick={(event) => {
                      if ((event.target as HTMLElement).closest('button, a')) return;
                      open(item, event.currentTarget.querySelector('button'));
                    }}
                  >
                    <th scope="row" className="num">
                      {item.index}
                    </th>
                    <td>
                      <ItemStatusBadge status={item.status} />
                      {item.attempts > 1 ? <span className="table__detail">{item.attempts} attempts</span> : null}
                    </td>
                    <td>{item.cached ? 'Yes' : 'No'}</td>
                    <td>{item.model ? <code>{item.model}</code> : '—'}</td>
                    <td className="num">{formatUsd(item.costUsd)}</td>
                    <td className={item.error ? 'table__wrap-cell items-table__error' : undefined}>{item.error ?? '—'}</td>
                    <td className="table__actions">
                      <button type="button" className="button button--secondary button--small" onClick={(event) => open(item, event.currentTarget)}>
                        View result<span className="visually-hidden"> for item {item.index}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager pager--row">
            <button
              type="button"
              className="button button--secondary button--small"
              disabled={page === 0 || items.isPlaceholderData}
              onClick={() => setCursors((current) => current.slice(0, -1))}
            >
              Previous items
            </button>
            <p className="muted small" role="status">
              Page {formatCount(page + 1)}: items {formatCount(rows[0].index)} to {formatCount(rows[rows.length - 1].index)}
              {items.isPlaceholderData ? ' (loading…)' : ''}
            </p>
            <button
              type="button"
              className="button button--secondary button--small"
              disabled={!items.data.nextCursor || items.isPlaceholderData}
              onClick={() => {
                const next = items.data?.nextCursor;
                if (next) setCursors((current) => [...current, next]);
              }}
            >
              Next items
            </button>
          </div>
        </>
      )}
      {shown ? (
        <ItemResultDialog item={shown} canMakePost={canMakePosts} canGiveFeedback={permissions?.canRunJobs ?? false} onClose={() => setSelected(null)} />
      ) : null}
    </section>
  );
}
