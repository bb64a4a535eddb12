import { useEffect, useRef, useState } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { saveBlob } from '../../../shared/files/saveBlob';
import { formatCount } from '../../../shared/format/money';
import { downloadResults, type ResultsFormat } from '../api/jobsApi';
import { useCancelJob, useRetryJob } from '../hooks/useJobs';
import { isTerminal, type JobState } from '../types/jobState';

interface JobActionsProps {
  job: JobState;
  /** Members and above: cancel and retry. Anyone who can read the job can download it. */
  canRun: boolean;
}

const DOWNLOADS: Array<{ format: ResultsFormat; label: string }> = [
  { format: 'csv', label: 'Download CSV' },
  { format: 'jsonl', label: 'Download JSONL' },
];

export function JobActions({ job, canRun }: JobActionsProps) {
  const cancel = useCancelJob(job.id);
  const retry = useRetryJob(job.id);
  const [confirming, setConfirming] = useState(false);
  const [downloading, setDownloading] = useState<ResultsFormat | null>(null);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const keepButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);

  // The safe choice gets focus, so a second Enter does not cancel by accident.
  useEffect(() => {
    if (confirming) keepButton.current?.focus();
  }, [confirming]);

  const canCancel = canRun && !isTerminal(job.status);
  const canRetry = canRun && job.failedItems > 0 && job.status !== 'cancelled';

  const download = async (format: ResultsFormat): Promise<void> => {
    setDownloading(format);
    setDownloadError(null);
    try {
      saveBlob(await downloadResults(job.id, format), `job-${job.id}.${format}`);
    } catch (error) {
      setDownloadError(error);
    } finally {
      setDownloading(null);
    }
  };

  return (
    <section className="card" aria-labelledby="job-actions-title">
      <h2 id="job-actions-title" className="card__title">
        Results and actions
      </h2>
      <div className="form__actions">
        {DOWNLOADS.map(({ format, label }) => (
          <button
            key={format}
            type="button"
            className="button button--secondary button--small"
            disabled={downloading !== null}
            aria-busy={downloading === format}
            onClick={() => void download(format)}
          >
            {label}
          </button>
        ))}
        {canRetry ? (
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={retry.isPending}
            onClick={() => {
              setMessage('');
              retry.mutate(undefined, {
                onSuccess: (response) =>
                  setMessage(`${formatCount(response.retriedItems)} failed ${response.retriedItems === 1 ? 'item' : 'items'} queued again.`),
              });
            }}
          >
            {retry.isPending ? 'Retrying…' : 'Retry failed items'}
          </button>
        ) : null}
        {canCancel ? (
          <button
            type="button"
            ref={cancelButton}
            className="button button--danger-outline button--small"
            aria-expanded={confirming}
            disabled={cancel.isPending}
            onClick={() => {
              cancel.reset();
              setMessage('');
              setConfirming((current) => !current);
            }}
          >
            Cancel job
          </button>
        ) : null}
      </div>
      {downloading ? (
        <p className="muted small" role="status">
          Preparing the {downloading.toUpperCase()} file…
        </p>
      ) : null}
      {confirming && canCancel ? (
        <div className="confirm confirm--panel" role="group" aria-label="Confirm cancelling this job">
          <p className="confirm__text">Cancel this job? Items that have not started will not run and are not charged; finished items keep their results.</p>
          <div className="confirm__actions">
            <button
              type="button"
              className="button button--danger button--small"
              disabled={cancel.isPending}
              onClick={() =>
                cancel.mutate(undefined, {
                  onSuccess: () => {
                    setConfirming(false);
                    setMessage('Job cancelled.');
                  },
                })
              }
            >
              {cancel.isPending ? 'Cancelling…' : 'Confirm cancel'}
            </button>
            <button
              type="button"
              ref={keepButton}
              className="button button--secondary button--small"
              disabled={cancel.isPending}
              onClick={() => {
                setConfirming(false);
                cancelButton.current?.focus();
              }}
            >
              Keep running
            </button>
          </div>
        </div>
      ) : null}
      <p className="small" role="status">
        {message}
      </p>
      {cancel.isError ? <ErrorMessage error={cancel.error} title="Could not cancel the job." /> : null}
      {retry.isError ? <ErrorMessage error={retry.error} title="Could not retry the failed items." /> : null}
      {downloadError ? <ErrorMessage error={downloadError} title="Could not download the results." /> : null}
    </section>
  );
}
