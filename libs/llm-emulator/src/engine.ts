import type { ModelBehavior } from './config';
import { extractKeywords, prose } from './prose';
import { createRng } from './rng';
import { fakeFromSchema, fakeJsonObject, violateSchema } from './schema-faker';
import { canonicalJson, countPromptTokens, countTokens, truncateToTokens, type PromptMessage } from './tokens';

/** What the answer must look like. */
export type OutputSpec =
  | { kind: 'text' }
  /** any JSON object (Ollama `format: "json"`, OpenAI `json_object`) */
  | { kind: 'json' }
  /** JSON valid against a schema (response schema or forced tool input schema) */
  | { kind: 'schema'; schema: unknown; name?: string; /** violations must stay objects (tool input) */ objectOnly?: boolean };

/** A protocol-independent view of a completion request. */
export interface GenerationRequest {
  messages: PromptMessage[];
  /** canonical JSON of every schema carried by the request (counted as prompt tokens) */
  schemaTexts: string[];
  output: OutputSpec;
  /** maximum completion tokens; undefined = no limit */
  maxTokens?: number;
  stop?: string[];
  /** extra input to the deterministic seed (e.g. the forced tool name) */
  seedExtra?: string;
}

export type FinishReason = 'stop' | 'length' | 'stop_sequence';

export interface Generation {
  /** the visible output text (JSON text for JSON outputs) */
  text: string;
  /** the JSON value when the output is complete JSON (absent when cut or malformed) */
  value?: unknown;
  isJson: boolean;
  finishReason: FinishReason;
  stopSequence?: string;
  promptTokens: number;
  /** visible output tokens + reasoning tokens */
  completionTokens: number;
  reasoningTokens: number;
}

export type ContentFault = 'malformed-json' | 'schema-violation';

export function promptTokensOf(req: Pick<GenerationRequest, 'messages' | 'schemaTexts'>): number {
  return countPromptTokens({ messages: req.messages, schemaTexts: req.schemaTexts });
}

/** The seed of a request: the prompt and the requested output, never the model or the protocol. */
export function requestSeed(req: GenerationRequest): string {
  return canonicalJson({
    m: req.messages.map((m) => [m.role, m.text, m.images]),
    o: req.output.kind === 'schema' ? { k: 'schema', s: req.output.schema } : { k: req.output.kind },
    x: req.seedExtra ?? '',
  });
}

function lastUserText(messages: readonly PromptMessage[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  return (lastUser ?? messages[messages.length - 1])?.text ?? '';
}

function keywordsOf(messages: readonly PromptMessage[]): string[] {
  const kws = extractKeywords(lastUserText(messages));
  if (kws.length < 3) {
    for (const m of messages) {
      for (const w of extractKeywords(m.text)) if (!kws.includes(w)) kws.push(w);
      if (kws.length >= 6) break;
    }
  }
  return kws;
}

const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, a: 1, single: 1 };

export interface LengthTarget {
  tokens: number;
  /** exact number of sentences, when the prompt asks for one */
  sentences?: number;
}

/** Natural answer length, from hints in the prompt ("in 50 words", "two sentences", "brief"…). */
export function targetLength(text: string, range: { min: number; max: number }, pick: (min: number, max: number) => number): LengthTarget {
  const t = text.toLowerCase();
  let m = /(\d{1,5})\s*(?:-|to)?\s*(?:\d{1,5}\s*)?words?\b/.exec(t);
  if (m) return { tokens: Math.max(1, Math.round(Number(m[1]) * 1.4)) };
  m = /(\d{1,5})\s*tokens?\b/.exec(t);
  if (m) return { tokens: Math.max(1, Number(m[1])) };
  m = /\b(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|a|single)\s+(?:short\s+)?sentences?\b/.exec(t);
  if (m) {
    const word = m[1] ?? '1';
    const n = Math.max(1, /^\d+$/.test(word) ? Number(word) : (NUMBER_WORDS[word] ?? 1));
    return { tokens: n * 16, sentences: n };
  }
  m = /(\d{1,3})\s+paragraphs?\b/.exec(t);
  if (m) return { tokens: Math.max(1, Number(m[1]) * 90) };
  if (/\b(one[- ]liner|one line|in short|briefly|brief|short|concise|tl;dr)\b/.test(t)) return { tokens: pick(15, 35) };
  if (/\b(detailed|in depth|in-depth|long|essay|thorough|comprehensive)\b/.test(t)) return { tokens: pick(350, 600) };
  return { tokens: pick(range.min, range.max) };
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON text that does not parse: the real text cut short (like a model that stopped mid-object). */
export function malformJson(json: string): string {
  const base = json.slice(0, Math.max(1, Math.floor(json.length * 0.6)));
  for (const suffix of ['', ',', ', "', '{']) if (!parses(base + suffix)) return base + suffix;
  return `${base} <<`;
}

/** Produces the deterministic answer for a request. */
export function generate(req: GenerationRequest, model: Pick<ModelBehavior, 'completionTokens' | 'reasoningTokens'>, fault?: ContentFault): Generation {
  const rng = createRng(requestSeed(req));
  const keywords = keywordsOf(req.messages);
  const promptTokens = promptTokensOf(req);
  let text: string;
  let value: unknown;
  let isJson = false;

  if (req.output.kind === 'text' && fault !== 'malformed-json') {
    const target = targetLength(lastUserText(req.messages), model.completionTokens, (a, b) => rng.int(a, b));
    text = prose(rng.fork('prose'), keywords, target.tokens * 4 - 8, target.sentences);
  } else {
    isJson = true;
    if (req.output.kind === 'schema') value = fakeFromSchema(req.output.schema, { rng: rng.fork('schema'), keywords });
    else value = fakeJsonObject(rng.fork('json'), keywords, lastUserText(req.messages));
    if (fault === 'schema-violation') {
      value = req.output.kind === 'schema' ? violateSchema(req.output.schema, value, { requireObject: req.output.objectOnly }) : ['schema-violation'];
    }
    text = JSON.stringify(value);
    if (fault === 'malformed-json') {
      text = malformJson(text);
      value = undefined;
    }
  }

  let finishReason: FinishReason = 'stop';
  let stopSequence: string | undefined;
  const stops = (req.stop ?? []).filter((s) => s.length > 0);
  if (stops.length > 0) {
    let at = -1;
    for (const s of stops) {
      const i = text.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) {
        at = i;
        stopSequence = s;
      }
    }
    if (at >= 0) {
      text = text.slice(0, at);
      finishReason = 'stop_sequence';
      value = undefined;
    } else stopSequence = undefined;
  }
  if (req.maxTokens !== undefined && countTokens(text) > req.maxTokens) {
    text = truncateToTokens(text, req.maxTokens);
    finishReason = 'length';
    stopSequence = undefined;
    value = undefined;
  }
  const reasoningTokens = model.reasoningTokens;
  return {
    text,
    value,
    isJson,
    finishReason,
    stopSequence,
    promptTokens,
    completionTokens: countTokens(text) + reasoningTokens,
    reasoningTokens,
  };
}

/** Splits output into stream pieces (words for prose, short slices for JSON); join(pieces) === text. */
export function splitPieces(text: string): string[] {
  const out: string[] = [];
  for (const word of text.match(/\S+\s*|\s+/g) ?? []) {
    if (word.length <= 16) out.push(word);
    else for (let i = 0; i < word.length; i += 12) out.push(word.slice(i, i + 12));
  }
  return out;
}
