import { useQuery } from '@tanstack/react-query';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatCount } from '../../../shared/format/money';
import { fetchJobStats, jobStatsQueryKey } from '../../jobs/api/jobsApi';

/** Items analyzed this period and how many the global cache answered. */
export function AnalysisStats({ from }: { from: string }) {
  const stats = useQuery({ queryKey: jobStatsQueryKey(from), queryFn: ({ signal }) => fetchJobStats(from, signal), staleTime: 15_000 });
  if (stats.isPending) return <LoadingState label="Loading the analysis figures…" />;
  if (stats.isError) return <ErrorMessage error={stats.error} title="Could not load the analysis figures." onRetry={() => void stats.refetch()} />;
  const s = stats.data;
  return (
    <dl className="stats" aria-label="Analysis this month">
      <div className="stat">
        <dt className="stat__label">Items analyzed</dt>
        <dd className="stat__value">{formatCount(s.completed)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Cache hit rate</dt>
        <dd className="stat__value stat__value--success">{(s.cacheHitRate * 100).toFixed(1)}%</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Failed items</dt>
        <dd className="stat__value">{formatCount(s.failed)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Jobs</dt>
        <dd className="stat__value">{formatCount(s.jobs)}</dd>
      </div>
    </dl>
  );
}
