/** Whole UTC days ending tomorrow, so the range always includes today (and the query key is stable within a day). */
export function rangeOf(days: number, now = new Date()): { from: string; to: string } {
  const end = new Date(now.getTime());
  end.setUTCHours(0, 0, 0, 0);
  end.setUTCDate(end.getUTCDate() + 1);
  return { from: new Date(end.getTime() - days * 86_400_000).toISOString(), to: end.toISOString() };
}
