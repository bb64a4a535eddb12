import { plainToInstance } from 'class-transformer';
import { completionPrompt, refuseLegacy } from './completions.controller';
import { embeddingInputs, toBase64 } from './embeddings.controller';
import { estimateEmbeddingTokens } from './embeddings.service';
import { costComment, InvalidParamError } from './gateway-support';
import { CompletionRequest } from './responses.dto';

const req = (b: Record<string, unknown>) => plainToInstance(CompletionRequest, { model: 'm', prompt: 'p', ...b });
const paramOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidParamError) return e.param;
    throw e;
  }
  return undefined;
};

describe('legacy completions', () => {
  it('takes one prompt, as a string or a one-string array', () => {
    expect(completionPrompt(req({ prompt: 'hello' }))).toBe('hello');
    expect(completionPrompt(req({ prompt: ['hello'] }))).toBe('hello');
    expect(paramOf(() => completionPrompt(req({ prompt: ['a', 'b'] })))).toBe('prompt');
    expect(paramOf(() => completionPrompt(req({ prompt: '' })))).toBe('prompt');
    expect(paramOf(() => completionPrompt(req({ prompt: [1, 2] })))).toBe('prompt');
  });

  it('refuses the parameters it cannot honour, naming each', () => {
    expect(paramOf(() => refuseLegacy(req({ n: 2 })))).toBe('n');
    expect(paramOf(() => refuseLegacy(req({ best_of: 3 })))).toBe('best_of');
    expect(paramOf(() => refuseLegacy(req({ echo: true })))).toBe('echo');
    expect(paramOf(() => refuseLegacy(req({ logprobs: 2 })))).toBe('logprobs');
    expect(paramOf(() => refuseLegacy(req({ suffix: 'x' })))).toBe('suffix');
    expect(paramOf(() => refuseLegacy(req({ stop: ['\n'] })))).toBe('stop');
    expect(paramOf(() => refuseLegacy(req({ n: 1, best_of: 1, echo: false, logprobs: null })))).toBeUndefined();
  });
});

describe('embeddings input', () => {
  it('takes a string or strings; refuses empty items, token arrays and more than 2048 inputs', () => {
    expect(embeddingInputs('a')).toEqual(['a']);
    expect(embeddingInputs(['a', 'b'])).toEqual(['a', 'b']);
    expect(paramOf(() => embeddingInputs([]))).toBe('input');
    expect(paramOf(() => embeddingInputs(['a', '']))).toBe('input[1]');
    expect(paramOf(() => embeddingInputs([[1, 2]]))).toBe('input[0]');
    expect(paramOf(() => embeddingInputs([1, 2]))).toBe('input');
    expect(paramOf(() => embeddingInputs(Array.from({ length: 2049 }, () => 'x')))).toBe('input');
  });

  it('encodes base64 as little-endian float32, as OpenAI does', () => {
    const buf = Buffer.from(toBase64([0.5, -1, 0.25]), 'base64');
    expect([buf.readFloatLE(0), buf.readFloatLE(4), buf.readFloatLE(8)]).toEqual([0.5, -1, 0.25]);
  });

  it('estimates tokens generously (never below the emulated count of ≈4 characters a token)', () => {
    for (const text of ['a', 'hello world', 'x'.repeat(1000)]) expect(estimateEmbeddingTokens(text)).toBeGreaterThanOrEqual(Math.ceil(text.length / 4));
  });
});

describe('stream cost comment', () => {
  it('is an SSE comment with the model and the exact cost', () => {
    expect(costComment({ modelId: 'openai/gpt-4o-mini', costPico: 1_234_567n })).toBe(
      ': margin-cost {"model":"openai/gpt-4o-mini","cost_usd":"0.000001234567","cost_pico":"1234567"}\n\n',
    );
  });
});
