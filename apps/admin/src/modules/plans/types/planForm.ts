import type { RequestPlanView } from '@margin/contracts';
import { formatPercent } from '../../../shared/format/money';

const pad = (value: number) => String(value).padStart(2, '0');

/** An ISO time as the value of a `datetime-local` input (local time, minutes). */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A `datetime-local` value (local time) as an ISO time; empty is "no deadline". */
export function parseDeadline(value: string): { ok: true; value: string | null } | { ok: false; error: string } {
  if (value.trim() === '') return { ok: true, value: null };
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return { ok: false, error: 'Enter a date and time, or leave it empty for no deadline.' };
  return { ok: true, value: date.toISOString() };
}

/** A relative error (0.12: the estimate was 12% off the actual). */
export function formatError(error: number | null | undefined): string {
  if (error === null || error === undefined || !Number.isFinite(error)) return '—';
  // the API's errors are |estimate − actual| ÷ actual: a size, not a direction
  return formatPercent(Math.abs(error));
}

/** The steps whose model the cheapest alternative changes, as the PATCH body's `steps`. */
export function cheapestChanges(plan: RequestPlanView): Array<{ step: string; model: string }> {
  if (!plan.cheapest) return [];
  return plan.cheapest.steps.filter((change) => plan.steps.find((step) => step.step === change.step)?.model !== change.model);
}

/** The answers typed so far, without the empty ones (an empty answer is no answer). */
export function filledAnswers(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values)
      .map(([field, value]) => [field, value.trim()] as const)
      .filter(([, value]) => value !== ''),
  );
}
