import type { KpiView, TimeseriesView } from '@margin/contracts';
import { useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatCount, formatPercent, formatUsd } from '../../../shared/format/money';
import { downloadText } from '../../costs/types/callsCsv';
import { useKpis, useTimeseries } from '../hooks/useMetrics';
import { kpisToCsv } from '../types/kpiCsv';
import { rangeOf } from '../types/range';

const RANGES = [
  { key: '7d', label: 'Last 7 days', days: 7 },
  { key: '30d', label: 'Last 30 days', days: 30 },
  { key: '90d', label: 'Last 90 days', days: 90 },
] as const;

/** Several series on one time axis: [{t, a, b}] from {a: series, b: series}. */
function merge(series: Record<string, TimeseriesView | undefined>): Array<Record<string, number | string | null>> {
  const byT = new Map<string, Record<string, number | string | null>>();
  for (const [name, s] of Object.entries(series))
    for (const p of s?.points ?? []) {
      const row = byT.get(p.t) ?? { t: p.t.slice(0, 10) };
      row[name] = p.value;
      byT.set(p.t, row);
    }
  return [...byT.values()];
}

const rate = (v: number | null) => (v === null ? '—' : formatPercent(v));

function KpiGroups({ kpis }: { kpis: KpiView }) {
  const { business: b, marketing: m, financial: f } = kpis;
  return (
    <div className="kpi-groups">
      <section className="card" aria-labelledby="kpi-business">
        <h2 id="kpi-business" className="card__title">
          Business
        </h2>
        <dl className="kpi-list">
          <dt>Jobs created</dt>
          <dd>{formatCount(b.jobsCreated)}</dd>
          <dt>Jobs completed</dt>
          <dd>{formatCount(b.jobsCompleted)}</dd>
          <dt>Items analyzed</dt>
          <dd>{formatCount(b.itemsAnalyzed)}</dd>
          <dt>Items failed</dt>
          <dd>{formatCount(b.itemsFailed)}</dd>
          <dt>Cache hit rate</dt>
          <dd>{rate(b.cacheHitRate)}</dd>
          <dt>Average quality</dt>
          <dd>{b.avgQualityScore === null ? '—' : b.avgQualityScore}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="kpi-marketing">
        <h2 id="kpi-marketing" className="card__title">
          Marketing
        </h2>
        {m.source === 'none' ? <p className="muted">Publishing is not set up: nothing is published yet.</p> : null}
        <dl className="kpi-list">
          <dt>Posts created</dt>
          <dd>{formatCount(m.postsCreated)}</dd>
          <dt>Posts published</dt>
          <dd>{formatCount(m.postsPublished)}</dd>
          <dt>Deliveries failed</dt>
          <dd>{formatCount(m.deliveriesFailed)}</dd>
          <dt>Active endpoints</dt>
          <dd>{formatCount(m.endpointsActive)}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="kpi-financial">
        <h2 id="kpi-financial" className="card__title">
          Financial
        </h2>
        <dl className="kpi-list">
          <dt>Cost</dt>
          <dd>{formatUsd(f.costUsd)}</dd>
          <dt>Saved</dt>
          <dd>{formatUsd(f.savedUsd)}</dd>
          <dt>Revenue</dt>
          <dd>{formatUsd(f.revenueUsd)}</dd>
          <dt>Cost per item</dt>
          <dd>{formatUsd(f.costPerItemUsd)}</dd>
          <dt>Cost per post</dt>
          <dd>{formatUsd(f.costPerPostUsd)}</dd>
          <dt>ROI</dt>
          <dd>{f.roi === null ? <span title="Nothing was spent in this range">n/a (no cost)</span> : formatPercent(f.roi)}</dd>
        </dl>
      </section>
    </div>
  );
}

function Chart({ title, children }: { title: string; children: React.ReactElement }) {
  return (
    <figure className="card chart" aria-label={title}>
      <figcaption className="card__title">{title}</figcaption>
      <div style={{ width: '100%', height: 240 }}>
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

export function KpiPage() {
  const [rangeKey, setRangeKey] = useState<(typeof RANGES)[number]['key']>('30d');
  const range = useMemo(() => rangeOf(RANGES.find((r) => r.key === rangeKey)?.days ?? 30), [rangeKey]);
  const kpis = useKpis(range);
  const cost = useTimeseries('cost_usd', 'day', range);
  const saved = useTimeseries('saved_usd', 'day', range);
  const items = useTimeseries('items', 'day', range);
  const hits = useTimeseries('cache_hit_rate', 'day', range);
  const revenue = useTimeseries('revenue_usd', 'day', range);

  const costVsSaved = useMemo(() => merge({ cost: cost.data, saved: saved.data }), [cost.data, saved.data]);
  const itemsAndHits = useMemo(() => merge({ items: items.data, hitRate: hits.data }), [items.data, hits.data]);
  const money = useMemo(() => merge({ revenue: revenue.data, cost: cost.data }), [revenue.data, cost.data]);
  const costVsQuality = useMemo(
    () =>
      (kpis.data?.costVsQuality ?? []).map((r) => ({
        key: `${r.model} · ${r.operation}`,
        costPerCall: r.costPerCallUsd,
        quality: r.avgQuality,
      })),
    [kpis.data],
  );

  return (
    <>
      <div className="page-header">
        <h1>KPIs</h1>
        <p className="muted">What your content costs, saves and earns.</p>
      </div>
      <div className="toolbar">
        <label>
          Range{' '}
          <select value={rangeKey} onChange={(e) => setRangeKey(e.target.value as typeof rangeKey)}>
            {RANGES.map((r) => (
              <option key={r.key} value={r.key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button"
          disabled={!kpis.data}
          onClick={() => kpis.data && downloadText(kpisToCsv(kpis.data), `margin-kpis-${range.from.slice(0, 10)}-${range.to.slice(0, 10)}.csv`)}
        >
          Export CSV
        </button>
      </div>
      {kpis.isPending ? (
        <LoadingState label="Loading KPIs…" />
      ) : kpis.isError ? (
        <ErrorMessage error={kpis.error} title="Could not load the KPIs." onRetry={() => void kpis.refetch()} />
      ) : (
        <KpiGroups kpis={kpis.data} />
      )}
      <div className="charts">
        <Chart title="Cost vs savings (USD per day)">
          <LineChart data={costVsSaved}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="t" />
            <YAxis />
            <Tooltip />
            <Legend />
            <Line type="monotone" dataKey="cost" name="Cost" stroke="#c2410c" dot={false} isAnimationActive={false} />
            <Line type="monotone" dataKey="saved" name="Saved" stroke="#15803d" dot={false} isAnimationActive={false} />
          </LineChart>
        </Chart>
        <Chart title="Items and cache hit rate">
          <ComposedChart data={itemsAndHits}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="t" />
            <YAxis yAxisId="items" />
            <YAxis yAxisId="rate" orientation="right" domain={[0, 1]} />
            <Tooltip />
            <Legend />
            <Bar yAxisId="items" dataKey="items" name="Items analyzed" fill="#2563eb" isAnimationActive={false} />
            <Line yAxisId="rate" type="monotone" dataKey="hitRate" name="Cache hit rate" stroke="#7c3aed" dot={false} isAnimationActive={false} />
          </ComposedChart>
        </Chart>
        <Chart title="Revenue vs cost (USD per day)">
          <BarChart data={money}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="t" />
            <YAxis />
            <Tooltip />
            <Legend />
            <Bar dataKey="revenue" name="Revenue" fill="#15803d" isAnimationActive={false} />
            <Bar dataKey="cost" name="Cost" fill="#c2410c" isAnimationActive={false} />
          </BarChart>
        </Chart>
        <Chart title="Cost per model vs quality">
          <ComposedChart data={costVsQuality}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="key" />
            <YAxis yAxisId="cost" />
            <YAxis yAxisId="quality" orientation="right" />
            <Tooltip />
            <Legend />
            <Bar yAxisId="cost" dataKey="costPerCall" name="Cost per call (USD)" fill="#0f766e" isAnimationActive={false} />
            <Line yAxisId="quality" type="monotone" dataKey="quality" name="Average quality" stroke="#b45309" isAnimationActive={false} />
          </ComposedChart>
        </Chart>
      </div>
    </>
  );
}
