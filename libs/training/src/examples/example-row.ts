import { createHash } from 'node:crypto';
import type { ChatMessage } from '@margin/contracts';
import { picoToDecimal } from '@margin/core';
import type { ObservedCall } from '@margin/model-router';

/** One example as the recorder writes it. */
export interface ExampleRow {
  callRef: string;
  tenantId: string;
  source: string;
  jobId: string | null;
  itemId: string | null;
  profileKey: string | null;
  profileVersion: number | null;
  step: string | null;
  round: number | null;
  operation: string;
  messages: ChatMessage[];
  outputText: string;
  outputJson: unknown;
  structured: boolean;
  inputHash: string;
  modelId: string;
  providerId: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: string;
  latencyMs: number;
  quality: number | null;
  emulated: boolean;
  complexity: string | null;
  abArm: 'incumbent' | 'challenger' | null;
  createdAt: Date;
}

/** A later score for an example (its call was judged by a quality gate's assess step). */
export interface QualityRow {
  tenantId: string;
  callRef: string;
  quality: number;
}

/**
 * What makes two examples duplicates: the same operation asked the same thing (roles and contents of the
 * messages, in order). The model and the answer do not count: duplicates are the same question answered twice.
 */
export function exampleInputHash(operation: string, messages: readonly ChatMessage[]): string {
  const h = createHash('sha256');
  h.update(operation);
  for (const m of messages) {
    h.update('\u0000');
    h.update(m.role);
    h.update('\u0001');
    h.update(m.content);
  }
  return h.digest('hex');
}

/** The number at a dotted path of a JSON answer, or undefined. */
export function scoreAt(value: unknown, field: string): number | undefined {
  let node = value;
  for (const key of field.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'number' && Number.isFinite(node) ? node : undefined;
}

export function toExampleRow(call: ObservedCall): ExampleRow {
  const t = call.trace;
  return {
    callRef: call.callRef,
    tenantId: call.tenantId,
    source: t?.source ?? 'v1',
    jobId: call.jobId,
    itemId: call.itemId,
    profileKey: t?.profileKey ?? null,
    profileVersion: t?.profileVersion ?? null,
    step: t?.step ?? null,
    round: t?.round ?? null,
    operation: call.operation,
    messages: call.messages,
    outputText: call.outputText,
    outputJson: call.structured ? (call.outputJson ?? null) : null,
    structured: call.structured,
    inputHash: exampleInputHash(call.operation, call.messages),
    modelId: call.modelId,
    providerId: call.providerId,
    inputTokens: call.inputTokens,
    outputTokens: call.outputTokens,
    costUsd: picoToDecimal(call.costPico),
    latencyMs: Math.round(call.latencyMs),
    quality: null,
    emulated: call.emulated,
    complexity: call.complexity,
    abArm: call.abArm,
    createdAt: call.at,
  };
}
