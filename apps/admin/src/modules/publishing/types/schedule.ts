export type ScheduleResult = { ok: true; iso: string } | { ok: false; error: string };

/** A `datetime-local` value (the browser's local time, no zone) → the ISO instant the API expects, in the future. */
export function parseSchedule(local: string, now: Date): ScheduleResult {
  if (!local.trim()) return { ok: false, error: 'Choose the date and time to publish at.' };
  // `new Date("2025-03-04T10:30")` reads a zone-less date-time as local time, which is what the field shows.
  const at = new Date(local);
  if (Number.isNaN(at.getTime())) return { ok: false, error: 'Enter a valid date and time.' };
  if (at.getTime() <= now.getTime()) return { ok: false, error: 'Choose a time in the future.' };
  return { ok: true, iso: at.toISOString() };
}
