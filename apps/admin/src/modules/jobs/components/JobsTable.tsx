import { Link } from 'react-router-dom';
import { formatDate, formatDateTime } from '../../../shared/format/dates';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { jobTitle, type JobState } from '../types/jobState';
import { JobProgressBar } from './JobProgressBar';
import { JobStatusBadge } from './JobStatusBadge';

export function JobsTable({ jobs }: { jobs: JobState[] }) {
  return (
    <div className="table-wrap" role="region" aria-label="Jobs table" tabIndex={0}>
      <table className="table table--compact jobs-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Profile</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col" className="num">
              Items
            </th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id}>
              <th scope="row" className="table__name jobs-table__name">
                <Link to={`/jobs/${job.id}`}>{jobTitle(job)}</Link>
                <span className="table__detail">
                  <code title={job.id}>{job.id.slice(0, 8)}</code>
                </span>
              </th>
              <td>
                <code>
                  {job.profile}@{job.profileVersion}
                </code>
              </td>
              <td>
                <JobStatusBadge status={job.status} />
              </td>
              <td className="jobs-table__progress">
                <JobProgressBar job={job} label={`Progress of ${jobTitle(job)}`} />
                <span className="table__detail">{job.percentage}%</span>
              </td>
              <td className="num">
                {formatCount(job.completedItems + job.failedItems)} / {formatCount(job.totalItems)}
                {job.failedItems > 0 ? <span className="table__detail">{formatCount(job.failedItems)} failed</span> : null}
                {job.cachedItems > 0 ? <span className="table__detail">{formatCount(job.cachedItems)} cached</span> : null}
              </td>
              <td className="num">{formatUsd(job.costUsd)}</td>
              <td>
                <time dateTime={job.createdAt} title={formatDateTime(job.createdAt)}>
                  {formatDate(job.createdAt)}
                </time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
