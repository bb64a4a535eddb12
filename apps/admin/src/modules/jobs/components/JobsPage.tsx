import { JOB_STATUSES, type JobStatus } from '@margin/contracts';
import { useId, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatCount } from '../../../shared/format/money';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { useJobList } from '../hooks/useJobs';
import { useProgressFeed } from '../hooks/useProgressFeed';
import { jobStatusLabel } from '../types/jobState';
import { FeedStatusLine } from './FeedStatusLine';
import { JobsTable } from './JobsTable';

const PAGE_SIZE = 20;

export function JobsPage() {
  const permissions = usePermissions();
  const [status, setStatus] = useState<JobStatus | ''>('');
  const jobs = useJobList({ status: status || undefined, limit: PAGE_SIZE });
  const feed = useProgressFeed();
  const loaded = useMemo(() => jobs.data?.pages.flatMap((page) => page.data) ?? [], [jobs.data]);
  const statusId = useId();

  return (
    <>
      <div className="page-header page-header--actions">
        <div>
          <h1>Jobs</h1>
          <p className="muted">Batches of items run through a profile: their progress, cost and results.</p>
        </div>
        {permissions?.canRunJobs ? (
          <Link to="/jobs/new" className="button button--primary">
            New job
          </Link>
        ) : null}
      </div>

      <section className="section" aria-labelledby="jobs-list-title">
        <h2 id="jobs-list-title" className="visually-hidden">
          Job list
        </h2>
        <div className="toolbar toolbar--between">
          <div className="form form--inline" role="group" aria-label="Filter jobs">
            <div className="field">
              <label htmlFor={statusId}>Status</label>
              <select id={statusId} value={status} onChange={(event) => setStatus(event.target.value as JobStatus | '')}>
                <option value="">All statuses</option>
                {JOB_STATUSES.map((value) => (
                  <option key={value} value={value}>
                    {jobStatusLabel(value)}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <FeedStatusLine status={feed} />
        </div>

        {jobs.isPending ? (
          <LoadingState label="Loading jobs…" />
        ) : jobs.data === undefined ? (
          <ErrorMessage error={jobs.error} title="Could not load the jobs." onRetry={() => void jobs.refetch()} />
        ) : loaded.length === 0 ? (
          <div className="empty">
            <p className="empty__title">{status ? `No ${jobStatusLabel(status).toLowerCase()} jobs.` : 'No jobs yet.'}</p>
            <p className="muted">
              {status ? (
                'Choose another status, or all statuses.'
              ) : permissions?.canRunJobs ? (
                <>
                  <Link to="/jobs/new">Create a job</Link> from a CSV or JSON file of items.
                </>
              ) : (
                'Jobs appear here once someone in your team submits one.'
              )}
            </p>
          </div>
        ) : (
          <>
            <JobsTable jobs={loaded} />
            <div className="pager">
              <p className="muted small">
                {formatCount(loaded.length)} {loaded.length === 1 ? 'job' : 'jobs'} loaded
                {jobs.hasNextPage ? '.' : ' (all of them).'}
              </p>
              {jobs.hasNextPage ? (
                <button type="button" className="button button--secondary" disabled={jobs.isFetchingNextPage} onClick={() => void jobs.fetchNextPage()}>
                  {jobs.isFetchingNextPage ? 'Loading…' : 'Load more jobs'}
                </button>
              ) : null}
              {jobs.isFetchNextPageError ? <ErrorMessage error={jobs.error} title="Could not load more jobs." /> : null}
            </div>
          </>
        )}
      </section>
    </>
  );
}
