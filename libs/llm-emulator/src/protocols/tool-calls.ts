// What the emulated model does with the tools it is offered, the same on every protocol: it calls the
// tools the last user turn names (all of them, or only the first when parallel calls are off), or the first
// tool when none is named; once the conversation ends with tool results it answers in words. Every call's
// arguments are JSON valid against the tool's schema, deterministic for the request.
import type { ModelBehavior } from '../config';
import { generate, type Generation, type GenerationRequest } from '../engine';
import { createRng, hashString } from '../rng';
import { splitPieces } from '../engine';
import type { PromptMessage } from '../tokens';

export interface EmulatedTool {
  name: string;
  /** the arguments' JSON schema */
  parameters: unknown;
}

/** What the request allows: auto (the model decides), none, required (some tool), or one named tool. */
export type EmulatedToolChoice = { kind: 'auto' } | { kind: 'none' } | { kind: 'required' } | { kind: 'named'; tool: EmulatedTool };

function mentioned(tools: readonly EmulatedTool[], messages: readonly PromptMessage[]): EmulatedTool[] {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const text = (last?.text ?? '').toLowerCase();
  return tools.filter((t) => {
    const name = t.name.toLowerCase();
    return text.includes(name) || text.includes(name.replace(/[_-]+/g, ' '));
  });
}

/**
 * The tools the answer calls (empty: the answer is text). `endsWithToolResult`: the conversation's last turn
 * carries tool results, so under `auto` the model now answers.
 */
export function toolsToCall(
  tools: readonly EmulatedTool[],
  choice: EmulatedToolChoice,
  messages: readonly PromptMessage[],
  options: { parallel: boolean; endsWithToolResult: boolean },
): EmulatedTool[] {
  if (tools.length === 0 || choice.kind === 'none') return [];
  if (choice.kind === 'named') return [choice.tool];
  if (choice.kind === 'auto' && options.endsWithToolResult) return [];
  const named = mentioned(tools, messages);
  const picked = named.length > 0 ? named : tools.slice(0, 1);
  return options.parallel ? picked : picked.slice(0, 1);
}

/** The generation request for the arguments of one tool call. */
export function toolGeneration(gen: GenerationRequest, tool: EmulatedTool): GenerationRequest {
  // the seed leaves the name out: a forced call answers what a json_schema of the same schema answers
  return { ...gen, output: { kind: 'schema', schema: tool.parameters, name: tool.name, objectOnly: true } };
}

/** The arguments of every call after the first (the first is the main generation), counted into `g`'s output. */
export function extraToolCalls(
  g: Generation,
  gen: GenerationRequest,
  calls: readonly EmulatedTool[],
  model: Pick<ModelBehavior, 'completionTokens' | 'reasoningTokens'>,
): Generation[] {
  const extras = calls
    .slice(1)
    .map((t, i) => generate({ ...toolGeneration(gen, t), seedExtra: `${gen.seedExtra ?? ''}\u0000call:${i + 1}` }, { ...model, reasoningTokens: 0 }));
  for (const e of extras) g.completionTokens += e.completionTokens;
  return extras;
}

/** Further answers of a request with `n` > 1: each its own deterministic generation, counted into `g`'s output. */
export function extraChoices(
  g: Generation,
  gen: GenerationRequest,
  n: number,
  model: Pick<ModelBehavior, 'completionTokens' | 'reasoningTokens'>,
): Generation[] {
  const extras = Array.from({ length: Math.max(0, n - 1) }, (_, i) => generate({ ...gen, seedExtra: `${gen.seedExtra ?? ''}\u0000choice:${i + 1}` }, model));
  for (const e of extras) g.completionTokens += e.completionTokens;
  return extras;
}

export interface EmulatedLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] }>;
}

const ALTERNATIVES = ['the', 'a', 'and', 'of', 'to', 'in', 'is', 'it', 'that', 'on', 'with', 'as', 'for', 'was', 'at', 'by', 'this', 'an', 'be', 'or'];

/** Deterministic log probabilities of one output piece (the chosen token is always the likeliest). */
export function logprobsOf(piece: string, position: number, top: number): EmulatedLogprob {
  const rng = createRng(`logprob:${hashString(piece)}:${position}`);
  const logprob = -Math.round(rng.next() * 2.5 * 1e4) / 1e4;
  const bytes = (token: string): number[] => [...Buffer.from(token, 'utf8')];
  const alternatives = ALTERNATIVES.filter((a) => a !== piece.trim());
  const top_logprobs = [{ token: piece, logprob, bytes: bytes(piece) }];
  let lp = logprob;
  for (let i = 1; i < top; i++) {
    lp -= 0.5 + Math.round(rng.next() * 2 * 1e4) / 1e4;
    const token = ` ${alternatives[(i - 1 + rng.int(0, alternatives.length - 1)) % alternatives.length] ?? 'the'}`;
    top_logprobs.push({ token, logprob: Math.round(lp * 1e4) / 1e4, bytes: bytes(token) });
  }
  return { token: piece, logprob, bytes: bytes(piece), top_logprobs: top_logprobs.slice(0, top) };
}

/** Log probabilities of a whole output, piece by piece (the pieces a stream sends). */
export function textLogprobs(text: string, top: number): EmulatedLogprob[] {
  return splitPieces(text).map((p, i) => logprobsOf(p, i, top));
}
