import type { AlertEvent, BudgetAlertEvent, JobCounters, ProgressEvents } from '@margin/contracts';
import type { Principal } from '@margin/identity';
import type { HandshakeCredentials } from './progress-authenticator';

/** ProgressEvents as socket.io's typed-events map (event name → listener). */
export type ProgressEmitEvents = { [K in keyof ProgressEvents]: (payload: ProgressEvents[K]) => void };

/** What the gateway keeps on `socket.data` after the handshake. */
export interface ProgressSocketData {
  principal?: Principal;
  /** The handshake's credentials, kept to check them again while the socket is open. */
  credentials?: HandshakeCredentials;
}

export type SubscribeAck = { ok: true; job?: JobCounters } | { ok: false; error: string };

/** A job that no longer changes: its final counters go out with job.completed, from ProgressPublisher.jobCompleted. */
export const TERMINAL_JOB_STATUSES: ReadonlySet<JobCounters['status']> = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled']);

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A budget alert from EVENTS_CHANNEL (cost-tracking publishes `{type: 'budget.alert', ...BudgetAlertEvent}`), or null. */
export function parseBudgetAlert(message: string): BudgetAlertEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const { type, tenantId, threshold, spentUsd, limitUsd } = data as Record<string, unknown>;
  if (type !== 'budget.alert' || typeof tenantId !== 'string' || tenantId === '') return null;
  if (!isFiniteNumber(threshold) || !isFiniteNumber(spentUsd) || !isFiniteNumber(limitUsd)) return null;
  return { tenantId, threshold, spentUsd, limitUsd };
}

/** A metrics alert from EVENTS_CHANNEL (metrics publishes `{type: 'alert', tenantId, rule, state, value, subject?}`), or null. */
export function parseMetricsAlert(message: string): (AlertEvent & { tenantId: string }) | null {
  let data: unknown;
  try {
    data = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const { type, tenantId, rule, state, value, subject } = data as Record<string, unknown>;
  if (type !== 'alert' || typeof tenantId !== 'string' || tenantId === '' || typeof rule !== 'string') return null;
  if ((state !== 'firing' && state !== 'resolved') || !isFiniteNumber(value)) return null;
  return { tenantId, rule, state, value, ...(typeof subject === 'string' && subject ? { subject } : {}) };
}
