import type { LlmCallView } from '@margin/contracts';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatUtcDate } from '../../../shared/format/dates';
import { formatCount } from '../../../shared/format/money';
import { useMe } from '../../auth/hooks/useMe';
import { useCostCalls, useCostSummary } from '../hooks/useCosts';
import { filterCalls, isUuid, NO_CLIENT_FILTERS, optionsOf, type ClientCallFilters } from '../types/callFilters';
import { callsToCsv, downloadText } from '../types/callsCsv';
import { CallsTable } from './CallsTable';
import { CostTotals } from './CostTotals';

const PAGE_SIZES = [25, 50, 100, 200] as const;
const DEFAULT_PAGE_SIZE = 50;

export function CostsPage() {
  const me = useMe();
  const periodStart = me.data?.usage.periodStart;
  const summary = useCostSummary({ groupBy: 'model', from: periodStart }, { enabled: Boolean(periodStart) });

  const [jobId, setJobId] = useState('');
  const [pageSize, setPageSize] = useState<number>(DEFAULT_PAGE_SIZE);
  const calls = useCostCalls({ jobId: jobId || undefined, limit: pageSize });
  const [filters, setFilters] = useState<ClientCallFilters>(NO_CLIENT_FILTERS);

  const loaded = useMemo(() => calls.data?.pages.flatMap((page) => page.data) ?? [], [calls.data]);
  const visible = useMemo(() => filterCalls(loaded, filters), [loaded, filters]);
  const filtering = Boolean(filters.provider || filters.model || filters.outcome);

  const exportCsv = (): void => {
    const stamp = new Date().toISOString().slice(0, 10);
    downloadText(callsToCsv(visible), `margin-calls-${stamp}${jobId ? `-job-${jobId.slice(0, 8)}` : ''}.csv`);
  };

  return (
    <>
      <div className="page-header">
        <h1>Costs</h1>
        <p className="muted">Every provider call your tenant made, what it cost and why it went where it did.</p>
      </div>

      <section className="card" aria-labelledby="costs-totals-title">
        <h2 id="costs-totals-title" className="card__title">
          This period
          {periodStart ? (
            <span className="muted card__subtitle">
              {' '}
              since <time dateTime={periodStart}>{formatUtcDate(periodStart)}</time>
            </span>
          ) : null}
        </h2>
        {me.isError ? (
          <ErrorMessage error={me.error} title="Could not load your account." onRetry={() => void me.refetch()} />
        ) : summary.isPending ? (
          <LoadingState label="Loading totals…" />
        ) : summary.isError ? (
          <ErrorMessage error={summary.error} title="Could not load the totals." onRetry={() => void summary.refetch()} />
        ) : (
          <CostTotals summary={summary.data} label="Totals this period" />
        )}
      </section>

      <section className="section" aria-labelledby="costs-ledger-title">
        <h2 id="costs-ledger-title" className="section__title">
          Ledger
        </h2>
        <div className="toolbar">
          <JobFilter
            jobId={jobId}
            onApply={(value) => {
              setJobId(value);
            }}
          />
          <ClientFilters calls={loaded} filters={filters} onChange={setFilters} pageSize={pageSize} onPageSize={setPageSize} />
        </div>

        {calls.isPending ? (
          <LoadingState label="Loading calls…" />
        ) : calls.data === undefined ? (
          <ErrorMessage error={calls.error} title="Could not load the calls." onRetry={() => void calls.refetch()} />
        ) : loaded.length === 0 ? (
          <div className="empty">
            <p className="empty__title">{jobId ? 'No calls for this job.' : 'No calls yet.'}</p>
            <p className="muted">
              {jobId
                ? 'Check the job ID, or clear the filter to see every call.'
                : 'Calls show up here as soon as jobs, analyses or the /v1 gateway use a model.'}
            </p>
          </div>
        ) : (
          <>
            <div className="toolbar toolbar--between">
              <p className="muted small" role="status">
                {filtering
                  ? `${formatCount(visible.length)} of ${formatCount(loaded.length)} loaded calls match the filters.`
                  : `${formatCount(loaded.length)} calls loaded${calls.hasNextPage ? '' : ' (all of them)'}.`}
              </p>
              <button type="button" className="button button--secondary button--small" onClick={exportCsv} disabled={visible.length === 0}>
                Export CSV
              </button>
            </div>
            {visible.length === 0 ? (
              <div className="empty">
                <p className="empty__title">No loaded call matches the filters.</p>
                <p className="muted">{calls.hasNextPage ? 'Load more calls, or change the filters.' : 'Change or reset the filters.'}</p>
              </div>
            ) : (
              <CallsTable calls={visible} />
            )}
            <div className="pager">
              {calls.hasNextPage ? (
                <button type="button" className="button button--secondary" disabled={calls.isFetchingNextPage} onClick={() => void calls.fetchNextPage()}>
                  {calls.isFetchingNextPage ? 'Loading…' : 'Load more calls'}
                </button>
              ) : (
                <p className="muted small">All calls loaded.</p>
              )}
              {calls.isFetchNextPageError ? <ErrorMessage error={calls.error} title="Could not load more calls." /> : null}
            </div>
          </>
        )}
      </section>
    </>
  );
}

function JobFilter({ jobId, onApply }: { jobId: string; onApply: (jobId: string) => void }) {
  const [draft, setDraft] = useState(jobId);
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    const value = draft.trim();
    if (value && !isUuid(value)) {
      setError('A job ID is a UUID, e.g. 3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d.');
      return;
    }
    setError(null);
    onApply(value.toLowerCase());
  };

  return (
    <form className="form form--inline toolbar__job" onSubmit={onSubmit} noValidate aria-label="Filter by job">
      <div className="field field--grow">
        <label htmlFor={inputId}>Job ID</label>
        <input
          id={inputId}
          type="text"
          autoComplete="off"
          spellCheck={false}
          placeholder="All jobs"
          value={draft}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${inputId}-error` : undefined}
          onChange={(event) => setDraft(event.target.value)}
        />
        {error ? (
          <p id={`${inputId}-error`} className="field__error">
            {error}
          </p>
        ) : null}
      </div>
      <button type="submit" className="button button--secondary">
        Filter
      </button>
      {jobId ? (
        <button
          type="button"
          className="button button--secondary"
          onClick={() => {
            setDraft('');
            setError(null);
            onApply('');
          }}
        >
          Show all jobs
        </button>
      ) : null}
    </form>
  );
}

interface ClientFiltersProps {
  calls: LlmCallView[];
  filters: ClientCallFilters;
  onChange: (filters: ClientCallFilters) => void;
  pageSize: number;
  onPageSize: (size: number) => void;
}

function ClientFilters({ calls, filters, onChange, pageSize, onPageSize }: ClientFiltersProps) {
  const id = useId();
  const select = (field: keyof ClientCallFilters, label: string, all: string) => (
    <div className="field">
      <label htmlFor={`${id}-${field}`}>{label}</label>
      <select id={`${id}-${field}`} value={filters[field]} onChange={(event) => onChange({ ...filters, [field]: event.target.value })}>
        <option value="">{all}</option>
        {optionsOf(calls, field, filters[field]).map((value) => (
          <option key={value} value={value}>
            {value}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <div className="form form--inline" role="group" aria-label="Filter loaded calls">
      {select('provider', 'Provider', 'All providers')}
      {select('model', 'Model', 'All models')}
      {select('outcome', 'Outcome', 'All outcomes')}
      <div className="field field--narrow">
        <label htmlFor={`${id}-size`}>Rows per page</label>
        <select id={`${id}-size`} value={pageSize} onChange={(event) => onPageSize(Number(event.target.value))}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
