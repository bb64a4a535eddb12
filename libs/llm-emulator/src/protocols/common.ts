import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultKind } from '../config';
import { header } from '../http-util';
import { sendError, type ProtocolSpec } from '../pipeline';
import type { Runtime } from '../runtime';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const auth = header(req, 'authorization');
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  return m?.[1]?.trim();
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Keys are checked only when `apiKeys` is configured; the 401 fault always refuses. */
export function authorize(
  rt: Runtime,
  spec: ProtocolSpec,
  res: ServerResponse,
  key: string | undefined,
  fault: FaultKind | undefined,
  messages: { missing: string; invalid: string; code?: string },
): boolean {
  if (fault === '401') {
    sendError(res, spec, 'authentication', `${messages.invalid} (emulated fault)`, { code: messages.code ?? null });
    return false;
  }
  const keys = rt.config.apiKeys;
  if (keys.length === 0) return true;
  if (!key) {
    sendError(res, spec, 'authentication', messages.missing, { code: null });
    return false;
  }
  if (!keys.includes(key)) {
    sendError(res, spec, 'authentication', messages.invalid, { code: messages.code ?? null });
    return false;
  }
  return true;
}

export function sse(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

export function stopList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return undefined;
}
