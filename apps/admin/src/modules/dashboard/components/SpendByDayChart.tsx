import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCount, formatUsd } from '../../../shared/format/money';
import type { DaySpend } from '../types/spendByDay';

interface SpendByDayChartProps {
  days: DaySpend[];
}

// SVG attributes don't resolve CSS variables: the accent colour of styles.css, spelt out.
const ACCENT = '#4338ca';

export function SpendByDayChart({ days }: SpendByDayChartProps) {
  const busiest = days.reduce<DaySpend | null>((best, day) => (!best || day.costUsd > best.costUsd ? day : best), null);
  const summary =
    busiest && busiest.costUsd > 0
      ? `Spend by day over ${days.length} days; the highest was ${formatUsd(busiest.costUsd)} on ${busiest.label}.`
      : `No spend over the ${days.length} days of this period.`;

  return (
    <figure className="chart" aria-label="Spend by day chart">
      <div className="chart__canvas" aria-hidden="true">
        <ResponsiveContainer width="100%" height={240} initialDimension={{ width: 640, height: 240 }}>
          <BarChart data={days} margin={{ top: 8, right: 8, bottom: 0, left: 8 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" tickLine={false} interval="preserveStartEnd" minTickGap={16} fontSize={12} />
            <YAxis tickFormatter={(value: number) => formatUsd(value)} width={84} fontSize={12} />
            <Tooltip
              cursor={{ fill: 'rgba(67, 56, 202, 0.08)' }}
              formatter={(value, _name, item) => [`${formatUsd(Number(value))} · ${formatCount((item.payload as DaySpend).calls)} calls`, 'Spend']}
            />
            <Bar dataKey="costUsd" name="Spend" fill={ACCENT} radius={[3, 3, 0, 0]} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="muted small">{summary}</figcaption>
      <details className="chart__data">
        <summary>Show the numbers</summary>
        <div className="table-wrap">
          <table className="table table--compact" aria-label="Spend by day">
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                <th scope="col" className="num">
                  Calls
                </th>
                <th scope="col" className="num">
                  Spend
                </th>
              </tr>
            </thead>
            <tbody>
              {days.map((day) => (
                <tr key={day.day}>
                  <th scope="row">
                    <time dateTime={day.day}>{day.label}</time>
                  </th>
                  <td className="num">{formatCount(day.calls)}</td>
                  <td className="num">{formatUsd(day.costUsd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
