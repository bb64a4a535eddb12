import type { KpiView } from '@margin/contracts';

const cell = (v: unknown): string => {
  const text = v === null || v === undefined ? '' : String(v);
  // a leading =, +, - or @ would be a formula in a spreadsheet
  const safe = /^[=+\-@]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The three KPI groups as `group,kpi,value` rows, for the page's CSV export. */
export function kpisToCsv(kpis: KpiView): string {
  const rows: string[] = ['group,kpi,value', `range,from,${cell(kpis.from)}`, `range,to,${cell(kpis.to)}`];
  for (const group of ['business', 'marketing', 'financial'] as const) {
    for (const [key, value] of Object.entries(kpis[group])) rows.push(`${group},${cell(key)},${cell(value)}`);
  }
  return `${rows.join('\n')}\n`;
}
