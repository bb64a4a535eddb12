import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../../../shared/api/client';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDateTime } from '../../../shared/format/dates';
import { useThrottledCallback } from '../../../shared/hooks/useThrottledCallback';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { jobItemsRootKey } from '../api/jobsApi';
import { useJob } from '../hooks/useJobs';
import { useProgressFeed } from '../hooks/useProgressFeed';
import { jobTitle, type JobState } from '../types/jobState';
import type { FeedStatus } from '../types/progressFeed';
import { JobActions } from './JobActions';
import { JobItemsSection } from './JobItemsSection';
import { JobProgressCard } from './JobProgressCard';
import { JobWaitingBanner } from './JobWaitingBanner';

/** How often finished items may refresh the visible page of items, at most. */
const ITEMS_REFRESH_MS = 1000;

export function JobDetailPage() {
  const { id = '' } = useParams<{ id: string }>();
  const queryClient = useQueryClient();
  const job = useJob(id);

  const refreshItems = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: jobItemsRootKey(id) });
  }, [queryClient, id]);
  const onItemCompleted = useThrottledCallback(refreshItems, ITEMS_REFRESH_MS);
  const feed = useProgressFeed({ jobId: id, onItemCompleted, onJobCompleted: refreshItems });

  if (job.isPending) return <LoadingState label="Loading the job…" />;
  if (job.isError) {
    // An id that is not a UUID is a 400; another tenant's job is a 404: both mean there is nothing here.
    const missing = job.error instanceof ApiError && (job.error.status === 404 || job.error.status === 400);
    return missing ? (
      <div className="page-header">
        <h1>Job not found</h1>
        <p className="muted">There is no job with this ID in your account.</p>
        <p>
          <Link to="/jobs">Back to the jobs</Link>
        </p>
      </div>
    ) : (
      <ErrorMessage error={job.error} title="Could not load the job." onRetry={() => void job.refetch()} />
    );
  }
  return <JobDetail job={job.data} feed={feed} />;
}

function JobDetail({ job, feed }: { job: JobState; feed: FeedStatus }) {
  const permissions = usePermissions();
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to="/jobs">Jobs</Link> <span aria-hidden="true">/</span> <span aria-current="page">{jobTitle(job)}</span>
      </nav>
      <div className="page-header">
        <h1>{jobTitle(job)}</h1>
        <p className="muted job-meta">
          <span>
            Profile <code>{`${job.profile}@${job.profileVersion}`}</code>
          </span>
          <span>Priority {job.priority}</span>
          <span>
            Created <time dateTime={job.createdAt}>{formatDateTime(job.createdAt)}</time>
          </span>
          {job.startedAt ? (
            <span>
              Started <time dateTime={job.startedAt}>{formatDateTime(job.startedAt)}</time>
            </span>
          ) : null}
          <span>
            ID <code>{job.id}</code>
          </span>
        </p>
      </div>

      <JobWaitingBanner job={job} />

      <div className="cards cards--job">
        <JobProgressCard job={job} feed={feed} />
        <JobActions job={job} canRun={permissions?.canRunJobs ?? false} />
      </div>

      {/* A finished blog-post item can become a post (publishing). */}
      <JobItemsSection jobId={job.id} canMakePosts={job.profile === 'blog-post' && (permissions?.canRunJobs ?? false)} />
    </>
  );
}
