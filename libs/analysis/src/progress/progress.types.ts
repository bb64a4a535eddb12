import { DELIVERY_STATUSES, type AlertEvent, type BudgetAlertEvent, type DeliveryUpdatedEvent, type JobCounters, type ProgressEvents } from '@margin/contracts';
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

/** The fields of an EVENTS_CHANNEL message of `type` with a tenant, or null (another type, malformed). */
function eventOf(message: string, type: string): (Record<string, unknown> & { tenantId: string }) | null {
  let data: unknown;
  try {
    data = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const fields = data as Record<string, unknown>;
  if (fields['type'] !== type || typeof fields['tenantId'] !== 'string' || fields['tenantId'] === '') return null;
  return fields as Record<string, unknown> & { tenantId: string };
}

/** A budget alert from EVENTS_CHANNEL (cost-tracking publishes `{type: 'budget.alert', ...BudgetAlertEvent}`), or null. */
export function parseBudgetAlert(message: string): BudgetAlertEvent | null {
  const e = eventOf(message, 'budget.alert');
  if (!e) return null;
  const { tenantId, threshold, spentUsd, limitUsd } = e;
  if (!isFiniteNumber(threshold) || !isFiniteNumber(spentUsd) || !isFiniteNumber(limitUsd)) return null;
  return { tenantId, threshold, spentUsd, limitUsd };
}

/** A delivery's new status from EVENTS_CHANNEL (publishing publishes `{type: 'delivery.updated', tenantId, ...DeliveryUpdatedEvent}`), or null. */
export function parseDeliveryUpdated(message: string): (DeliveryUpdatedEvent & { tenantId: string }) | null {
  const e = eventOf(message, 'delivery.updated');
  if (!e) return null;
  const { tenantId, postId, deliveryId, endpointId, status } = e;
  if (typeof postId !== 'string' || typeof deliveryId !== 'string' || typeof endpointId !== 'string') return null;
  if (!(DELIVERY_STATUSES as readonly unknown[]).includes(status)) return null;
  return { tenantId, postId, deliveryId, endpointId, status: status as DeliveryUpdatedEvent['status'] };
}

/** A metrics alert from EVENTS_CHANNEL (metrics publishes `{type: 'alert', tenantId, rule, state, value, subject?}`), or null. */
export function parseMetricsAlert(message: string): (AlertEvent & { tenantId: string }) | null {
  const e = eventOf(message, 'alert');
  if (!e) return null;
  const { tenantId, rule, state, value, subject } = e;
  if (typeof rule !== 'string' || (state !== 'firing' && state !== 'resolved') || !isFiniteNumber(value)) return null;
  return { tenantId, rule, state, value, ...(typeof subject === 'string' && subject ? { subject } : {}) };
}
