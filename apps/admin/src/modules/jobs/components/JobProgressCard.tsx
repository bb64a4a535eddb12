import { formatDateTime } from '../../../shared/format/dates';
import { formatDuration } from '../../../shared/format/duration';
import { formatCount, formatUsd } from '../../../shared/format/money';
import type { FeedStatus } from '../types/progressFeed';
import { isTerminal, type JobState } from '../types/jobState';
import { FeedStatusLine } from './FeedStatusLine';
import { JobProgressBar, progressText } from './JobProgressBar';
import { JobStatusBadge } from './JobStatusBadge';

function etaText(job: JobState): string {
  if (isTerminal(job.status)) return job.finishedAt ? formatDateTime(job.finishedAt) : 'Just now';
  if (job.status === 'queued' && job.etaSeconds === null) return 'Waiting for a worker';
  if (job.etaSeconds === null) return 'Estimating…';
  return job.etaSeconds === 0 ? 'Any moment now' : `About ${formatDuration(job.etaSeconds)} left`;
}

export function JobProgressCard({ job, feed }: { job: JobState; feed: FeedStatus }) {
  return (
    <section className="card" aria-labelledby="job-progress-title">
      <div className="card__header">
        <h2 id="job-progress-title" className="card__title">
          Progress
        </h2>
        <JobStatusBadge status={job.status} />
      </div>
      <div className="progress-headline">
        <strong className="progress-headline__percent">{job.percentage}%</strong>
        <span className="muted">{progressText(job)}</span>
      </div>
      <JobProgressBar job={job} label="Job progress" size="large" />
      <dl className="stats">
        <div className="stat">
          <dt className="stat__label">{isTerminal(job.status) ? 'Finished' : 'Time left'}</dt>
          <dd className="stat__value stat__value--small">{etaText(job)}</dd>
        </div>
        <div className="stat">
          <dt className="stat__label">Cost so far</dt>
          <dd className="stat__value">{formatUsd(job.costUsd)}</dd>
        </div>
        <div className="stat">
          <dt className="stat__label">Saved by the cache</dt>
          <dd className="stat__value stat__value--success">{formatUsd(job.savedUsd)}</dd>
        </div>
        <div className="stat">
          <dt className="stat__label">Cached items</dt>
          <dd className="stat__value">{formatCount(job.cachedItems)}</dd>
        </div>
        <div className="stat">
          <dt className="stat__label">Failed items</dt>
          <dd className="stat__value">{formatCount(job.failedItems)}</dd>
        </div>
        {job.budgetUsd !== null ? (
          <div className="stat">
            <dt className="stat__label">Budget</dt>
            <dd className="stat__value">{formatUsd(job.budgetUsd)}</dd>
          </div>
        ) : null}
      </dl>
      <FeedStatusLine status={feed} />
    </section>
  );
}
