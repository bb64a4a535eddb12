// The exact cost of one call. Token prices are whole pico-dollars per token (prices carry at most six
// decimals of USD per million tokens), so token costs are exact integers and any sum of per-call costs
// equals the cost of the summed tokens. Only amortized GPU time needs rounding (to the nearest pico-dollar).
import { divRoundHalfUp, usdToPico, type PicoUsd } from '@margin/core';

export interface Price {
  /** USD per million tokens, as exact decimal strings (≤ 6 decimals). */
  inputUsdPerMTok: string;
  cachedInputUsdPerMTok: string;
  outputUsdPerMTok: string;
}

export interface CostUsage {
  /** All prompt tokens, cached ones included. */
  inputTokens: number;
  /** Of inputTokens, those served from the prompt cache. */
  cachedInputTokens: number;
  /** All completion tokens: reasoning tokens are part of them and billed as output. */
  outputTokens: number;
  reasoningTokens?: number;
}

export interface GpuAmortization {
  /** USD per GPU-hour (≤ 6 decimals). */
  usdPerHour: string;
  /** Requests the GPU serves at once: a call holds 1/slots of the GPU for its duration. */
  parallelSlots: number;
  latencyMs: number;
}

export interface CostBreakdown {
  inputPico: PicoUsd;
  cachedInputPico: PicoUsd;
  outputPico: PicoUsd;
  gpuPico: PicoUsd;
  totalPico: PicoUsd;
}

const PICO_PER_TOKEN_DIVISOR = 1_000_000n;

/** Pico-dollars per token for a price in USD per million tokens. */
export function picoPerToken(usdPerMTok: string): bigint {
  const perMillion = usdToPico(usdPerMTok);
  if (perMillion % PICO_PER_TOKEN_DIVISOR !== 0n) throw new RangeError(`price ${usdPerMTok} has more than 6 decimals`);
  return perMillion / PICO_PER_TOKEN_DIVISOR;
}

function tokens(n: number, what: string): bigint {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
  return BigInt(n);
}

export function costOf(price: Price, usage: CostUsage, gpu?: GpuAmortization): CostBreakdown {
  const input = tokens(usage.inputTokens, 'inputTokens');
  const cached = tokens(usage.cachedInputTokens, 'cachedInputTokens');
  const output = tokens(usage.outputTokens, 'outputTokens');
  if (cached > input) throw new RangeError('cachedInputTokens cannot exceed inputTokens');
  const inputPico = (input - cached) * picoPerToken(price.inputUsdPerMTok);
  const cachedInputPico = cached * picoPerToken(price.cachedInputUsdPerMTok);
  const outputPico = output * picoPerToken(price.outputUsdPerMTok);
  let gpuPico = 0n;
  if (gpu) {
    if (!Number.isInteger(gpu.parallelSlots) || gpu.parallelSlots < 1) throw new RangeError('parallelSlots must be a positive integer');
    const ms = tokens(Math.round(gpu.latencyMs), 'latencyMs');
    gpuPico = divRoundHalfUp(usdToPico(gpu.usdPerHour) * ms, 3_600_000n * BigInt(gpu.parallelSlots));
  }
  return { inputPico, cachedInputPico, outputPico, gpuPico, totalPico: inputPico + cachedInputPico + outputPico + gpuPico };
}
