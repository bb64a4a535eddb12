import { formatDateTime } from '../../../shared/format/dates';
import type { JobState } from '../types/jobState';

/**
 * Says that the job's items are waiting for a model provider (an outage, rate limits) rather than failing:
 * why, and when the provider is expected back. Nothing to do: they resume by themselves.
 */
export function JobWaitingBanner({ job }: { job: JobState }) {
  if (!job.waiting) return null;
  return (
    <div className="notice notice--warning" role="status" aria-labelledby="job-waiting-title">
      <p id="job-waiting-title">
        <strong>Waiting for a model provider to come back.</strong>{' '}
        {job.waitingUntil ? (
          <>
            Items resume around <time dateTime={job.waitingUntil}>{formatDateTime(job.waitingUntil)}</time>
          </>
        ) : (
          'Items resume as soon as one is back'
        )}
        ; none fails meanwhile{job.maxWaitSeconds ? `, unless the wait passes ${Math.round(job.maxWaitSeconds / 60)} min` : ''}.
      </p>
      {job.waitingReason ? <p className="small muted">{job.waitingReason}</p> : null}
    </div>
  );
}
