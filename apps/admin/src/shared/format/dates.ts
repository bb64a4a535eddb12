const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
// Usage periods are calendar months in UTC: shown in local time, "resets 1 March" would read as 28 February
// west of Greenwich.
const utcDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'long', timeZone: 'UTC' });

function parse(iso: string): Date | null {
  const value = new Date(iso);
  return Number.isNaN(value.getTime()) ? null : value;
}

export function formatDateTime(iso: string | null | undefined, fallback = '—'): string {
  if (!iso) return fallback;
  const value = parse(iso);
  return value ? dateTime.format(value) : fallback;
}

export function formatDate(iso: string | null | undefined, fallback = '—'): string {
  if (!iso) return fallback;
  const value = parse(iso);
  return value ? date.format(value) : fallback;
}

export function formatUtcDate(iso: string | null | undefined, fallback = '—'): string {
  if (!iso) return fallback;
  const value = parse(iso);
  return value ? utcDate.format(value) : fallback;
}
