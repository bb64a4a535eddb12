import type { EvalRunStatus, EvalRunTotals, EvalRunView } from '@margin/contracts';
import { Badge, type BadgeTone } from '../../../shared/components/Badge';
import { formatCount, formatPercent, formatUsd } from '../../../shared/format/money';

const TONES: Record<EvalRunStatus, BadgeTone> = { queued: 'neutral', running: 'accent', completed: 'success', failed: 'danger' };
const LABELS: Record<EvalRunStatus, string> = { queued: 'Queued', running: 'Running', completed: 'Completed', failed: 'Failed' };

export function RunStatusBadge({ status }: { status: EvalRunStatus }) {
  return <Badge tone={TONES[status]}>{LABELS[status]}</Badge>;
}

export function RunProgress({ run }: { run: EvalRunView }) {
  const { items, completed, failed } = run.totals;
  const done = completed + failed;
  const percentage = items === 0 ? 0 : Math.round((done / items) * 1000) / 10;
  const tone = run.status === 'failed' ? 'failed' : run.status === 'completed' ? 'done' : 'running';
  return (
    <div
      className={`progress progress--small progress--${tone}`}
      role="progressbar"
      aria-label={`Progress of the run on ${run.model}`}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percentage}
      aria-valuetext={`${formatCount(done)} of ${formatCount(items)} items done${failed ? `, ${formatCount(failed)} failed` : ''}`}
    >
      <span className="progress__fill" style={{ width: `${percentage}%` }} />
    </div>
  );
}

const num = (value: number | null, digits = 1) => (value === null ? '—' : String(Number(value.toFixed(digits))));

/** The run's totals as a definition list. */
export function RunTotals({ totals }: { totals: EvalRunTotals }) {
  return (
    <dl className="facts">
      <dt>Items</dt>
      <dd>
        {formatCount(totals.completed)} of {formatCount(totals.items)} answered{totals.failed ? `, ${formatCount(totals.failed)} failed` : ''}
      </dd>
      <dt>Quality</dt>
      <dd>{num(totals.quality)}</dd>
      <dt>Verdict agreement</dt>
      <dd>{totals.verdictAgreement === null ? '—' : formatPercent(totals.verdictAgreement)}</dd>
      <dt>Score error (MAE)</dt>
      <dd>{num(totals.scoreMae)}</dd>
      <dt>Concern F1</dt>
      <dd>{num(totals.concernF1, 3)}</dd>
      <dt>Cost</dt>
      <dd>{formatUsd(totals.costUsd)}</dd>
      <dt>Mean latency</dt>
      <dd>{totals.meanLatencyMs === null ? '—' : `${formatCount(totals.meanLatencyMs)} ms`}</dd>
    </dl>
  );
}
