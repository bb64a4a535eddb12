// The port through which a higher layer (training) sees every answered call without the router importing it.
import { Injectable, Logger } from '@nestjs/common';
import type { ChatMessage, Complexity } from '@margin/contracts';
import type { PicoUsd } from '@margin/core';

/** Where a call comes from and what it is part of: set by the caller, passed to the observers untouched. */
export interface CallTrace {
  /** `job` (a job item's pipeline step), `analyze` (POST /analyze), `v1` (the gateway), `eval` (an eval run), `plan` (a plan's intake). */
  source: 'job' | 'analyze' | 'v1' | 'eval' | 'plan';
  /** False: observers keep nothing of this call (eval runs are measurements, not training data). Default true. */
  record?: boolean;
  profileKey?: string;
  profileVersion?: number;
  step?: string;
  round?: number;
  /**
   * This call judges an earlier call's answer (a quality gate's assess step): the earlier call's attempt prefix
   * and where the score sits in this call's JSON answer.
   */
  assesses?: { callRef: string; scoreField: string };
}

/** One answered call, as sent and as answered. */
export interface ObservedCall {
  /** The call's attempt prefix: stable across replays of the same work (observers keep one record per ref). */
  callRef: string;
  tenantId: string;
  jobId: string | null;
  itemId: string | null;
  operation: string;
  /** The messages the caller asked to send (before any JSON repair turn). */
  messages: ChatMessage[];
  outputText: string;
  outputJson: unknown;
  /** Whether the caller asked for structured output (then `outputJson` is the answer). */
  structured: boolean;
  modelId: string;
  providerId: string;
  inputTokens: number;
  outputTokens: number;
  costPico: PicoUsd;
  latencyMs: number;
  emulated: boolean;
  at: Date;
  /** The A/B arm of the policy cell that served the call (null: no split). */
  abArm: 'incumbent' | 'challenger' | null;
  /** The policy cell's complexity the answer came from (after any step down). */
  complexity: Complexity;
  trace: CallTrace | undefined;
}

export interface LlmCallObserver {
  /** Called on the call's path: must return at once and never throw (queue the work, do it later). */
  observe(call: ObservedCall): void;
}

/**
 * The observers of answered calls. The executor notifies them after each answer; an observer's failure is
 * logged and never reaches the call.
 */
@Injectable()
export class CallObservers {
  private readonly logger = new Logger(CallObservers.name);
  private readonly observers: LlmCallObserver[] = [];

  register(observer: LlmCallObserver): void {
    if (!this.observers.includes(observer)) this.observers.push(observer);
  }

  unregister(observer: LlmCallObserver): void {
    const at = this.observers.indexOf(observer);
    if (at >= 0) this.observers.splice(at, 1);
  }

  get active(): boolean {
    return this.observers.length > 0;
  }

  notify(call: ObservedCall): void {
    for (const observer of this.observers) {
      try {
        observer.observe(call);
      } catch (err) {
        this.logger.warn({ callRef: call.callRef, err }, `call observer failed: ${(err as Error).message}`);
      }
    }
  }
}
