import type { JobStatus } from '@margin/contracts';
import { formatCount } from '../../../shared/format/money';
import type { JobState } from '../types/jobState';

interface JobProgressBarProps {
  job: Pick<JobState, 'status' | 'percentage' | 'completedItems' | 'failedItems' | 'totalItems'>;
  /** The accessible name: "Job progress" on the job's page, "Progress of <name>" in lists. */
  label: string;
  size?: 'large' | 'small';
}

const TONES: Record<JobStatus, string> = {
  queued: 'queued',
  running: 'running',
  completed: 'done',
  completed_with_errors: 'warn',
  failed: 'failed',
  cancelled: 'queued',
};

export function progressText(job: JobProgressBarProps['job']): string {
  const done = job.completedItems + job.failedItems;
  const failed = job.failedItems > 0 ? `, ${formatCount(job.failedItems)} failed` : '';
  return `${formatCount(done)} of ${formatCount(job.totalItems)} items done${failed} (${job.percentage}%)`;
}

export function JobProgressBar({ job, label, size = 'small' }: JobProgressBarProps) {
  const percentage = Math.max(0, Math.min(100, job.percentage));
  return (
    <div
      className={`progress progress--${size} progress--${TONES[job.status]}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percentage}
      aria-valuetext={progressText(job)}
    >
      <span className="progress__fill" style={{ width: `${percentage}%` }} />
    </div>
  );
}
