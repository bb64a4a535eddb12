import type { KpiView } from '@margin/contracts';

const cell = (v: unknown): string => {
  const text = v === null || v === undefined ? '' : String(v);
  // a leading =, +, - or @ would be a formula in a spreadsheet
  const safe = /^[=+\-@]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The three KPI groups (and cost vs quality per model and operation) as `group,kpi,value` rows, for the page's CSV export. */
export function kpisToCsv(kpis: KpiView): string {
  const rows: string[] = ['group,kpi,value', `range,from,${cell(kpis.from)}`, `range,to,${cell(kpis.to)}`];
  for (const group of ['business', 'marketing', 'financial'] as const) {
    for (const [key, value] of Object.entries(kpis[group])) rows.push(`${group},${cell(key)},${cell(value)}`);
  }
  // cost vs quality: one row per figure of each model and operation, e.g. `model-quality,ollama/qwen3:8b draft avgQuality,81.5`
  for (const r of kpis.costVsQuality ?? [])
    for (const k of ['calls', 'costUsdExact', 'costPerCallUsd', 'scoredCalls', 'avgQuality'] as const)
      rows.push(`model-quality,${cell(`${r.model} ${r.operation} ${k}`)},${cell(r[k])}`);
  return `${rows.join('\n')}\n`;
}
