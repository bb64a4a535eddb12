import { Link } from 'react-router-dom';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDuration } from '../../../shared/format/duration';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { useJobList } from '../hooks/useJobs';
import { useProgressFeed } from '../hooks/useProgressFeed';
import { jobTitle } from '../types/jobState';
import { FeedStatusLine } from './FeedStatusLine';
import { JobProgressBar } from './JobProgressBar';

const SHOWN = 5;

/** The dashboard's live view of the jobs running now, from the same cache and feed as the Jobs page. */
export function RunningJobs() {
  const jobs = useJobList({ status: 'running', limit: SHOWN });
  const feed = useProgressFeed();
  const running = jobs.data?.pages[0]?.data ?? [];
  const more = Boolean(jobs.data?.pages[0]?.nextCursor);

  return (
    <section className="card" aria-labelledby="dash-running">
      <div className="card__header">
        <h2 id="dash-running" className="card__title">
          Running jobs
        </h2>
        <Link to="/jobs" className="small">
          See all jobs
        </Link>
      </div>
      {jobs.isPending ? (
        <LoadingState label="Loading running jobs…" />
      ) : jobs.isError && !jobs.data ? (
        <ErrorMessage error={jobs.error} title="Could not load the running jobs." onRetry={() => void jobs.refetch()} />
      ) : running.length === 0 ? (
        <p className="muted">No job is running right now.</p>
      ) : (
        <ul className="running-jobs" aria-label="Running jobs">
          {running.map((job) => (
            <li key={job.id} className="running-jobs__item">
              <div className="running-jobs__head">
                <Link to={`/jobs/${job.id}`} className="running-jobs__name">
                  {jobTitle(job)}
                </Link>
                <span className="muted small">
                  {job.percentage}% · {formatCount(job.completedItems + job.failedItems)} of {formatCount(job.totalItems)} · {formatUsd(job.costUsd)}
                  {job.etaSeconds !== null && job.etaSeconds > 0 ? ` · about ${formatDuration(job.etaSeconds)} left` : ''}
                </span>
              </div>
              <JobProgressBar job={job} label={`Progress of ${jobTitle(job)}`} />
            </li>
          ))}
        </ul>
      )}
      {more ? <p className="small muted">More jobs are running; the Jobs page lists them all.</p> : null}
      <FeedStatusLine status={feed} />
    </section>
  );
}
