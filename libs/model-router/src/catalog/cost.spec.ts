import { picoToDecimal, picoToUsd } from '@margin/core';
import { costOf, picoPerToken, type Price } from './cost';

const gpt4oMini: Price = { inputUsdPerMTok: '0.15', cachedInputUsdPerMTok: '0.075', outputUsdPerMTok: '0.6' };

describe('costOf', () => {
  it('prices input, cached input and output at their own rates, exactly', () => {
    const c = costOf(gpt4oMini, { inputTokens: 1200, cachedInputTokens: 200, outputTokens: 300 });
    // 1000 × $0.15/M + 200 × $0.075/M + 300 × $0.60/M = $0.000150 + $0.000015 + $0.000180
    expect(picoToDecimal(c.inputPico)).toBe('0.000150000000');
    expect(picoToDecimal(c.cachedInputPico)).toBe('0.000015000000');
    expect(picoToDecimal(c.outputPico)).toBe('0.000180000000');
    expect(picoToDecimal(c.totalPico)).toBe('0.000345000000');
  });

  it('keeps sub-micro-dollar costs exact (one token of a cheap model)', () => {
    expect(costOf(gpt4oMini, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 }).totalPico).toBe(150_000n);
    expect(picoToUsd(150_000n)).toBe(0);
  });

  it('bills reasoning tokens as output (they are part of outputTokens)', () => {
    const plain = costOf(gpt4oMini, { inputTokens: 0, cachedInputTokens: 0, outputTokens: 500 });
    const reasoning = costOf(gpt4oMini, { inputTokens: 0, cachedInputTokens: 0, outputTokens: 500, reasoningTokens: 400 });
    expect(reasoning.totalPico).toBe(plain.totalPico);
  });

  it('amortizes GPU time: USD per GPU-hour × seconds ÷ parallel slots', () => {
    const free: Price = { inputUsdPerMTok: '0', cachedInputUsdPerMTok: '0', outputUsdPerMTok: '0' };
    const usage = { inputTokens: 900, cachedInputTokens: 0, outputTokens: 400 };
    expect(costOf(free, usage).totalPico).toBe(0n);
    // $1.80/h for 2 s on a GPU serving 4 at once: 1.8 × 2 / 3600 / 4 = $0.00025
    const c = costOf(free, usage, { usdPerHour: '1.8', parallelSlots: 4, latencyMs: 2000 });
    expect(picoToDecimal(c.gpuPico)).toBe('0.000250000000');
    // Not a whole pico-dollar: rounded half up.
    expect(costOf(free, usage, { usdPerHour: '1', parallelSlots: 3, latencyMs: 1 }).gpuPico).toBe(92_593n);
  });

  it('sums a million calls exactly: the sum of per-call costs equals the cost of the summed tokens', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let sum = 0n;
    let input = 0;
    let cached = 0;
    let output = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const inputTokens = rand(4000);
      const cachedInputTokens = rand(inputTokens + 1);
      const outputTokens = rand(1500);
      sum += costOf(gpt4oMini, { inputTokens, cachedInputTokens, outputTokens }).totalPico;
      input += inputTokens;
      cached += cachedInputTokens;
      output += outputTokens;
    }
    expect(sum).toBe(costOf(gpt4oMini, { inputTokens: input, cachedInputTokens: cached, outputTokens: output }).totalPico);
    // The float way drifts; this is why money is never summed as floats.
    expect(picoToDecimal(sum)).toMatch(/^\d+\.\d{12}$/);
  });

  it('rejects impossible usage and prices with more than 6 decimals', () => {
    expect(() => costOf(gpt4oMini, { inputTokens: 10, cachedInputTokens: 11, outputTokens: 0 })).toThrow(RangeError);
    expect(() => costOf(gpt4oMini, { inputTokens: -1, cachedInputTokens: 0, outputTokens: 0 })).toThrow(RangeError);
    expect(() => picoPerToken('0.0000001')).toThrow(RangeError);
    expect(picoPerToken('15')).toBe(15_000_000n);
  });
});
