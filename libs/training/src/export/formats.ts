// Fine-tuning file formats: one training record rendered as one JSONL line per format.
import type { ChatMessage, ExportFormat } from '@margin/contracts';

/** One example ready for fine-tuning: the conversation with the answer last (edits applied), and where it came from. */
export interface TrainingRecord {
  /** system/user turns as sent, then the assistant's answer. */
  messages: ChatMessage[];
  inputHash: string;
  meta: {
    exampleId: string;
    profileKey: string | null;
    step: string | null;
    operation: string;
    model: string;
    rating: number | null;
    approved: boolean | null;
    edited: boolean;
    quality: number | null;
    createdAt: string;
  };
}

/** The answer as training text: structured output as its JSON text, else the model's text. */
export function answerText(example: { structured: boolean; outputJson: unknown; outputText: string; edited: boolean; edits: unknown }): string {
  if (example.edited) return typeof example.edits === 'string' && !example.structured ? example.edits : JSON.stringify(example.edits);
  if (example.structured && example.outputJson !== null && example.outputJson !== undefined) return JSON.stringify(example.outputJson);
  return example.outputText;
}

/** OpenAI chat fine-tuning: `{"messages":[…]}`, the assistant's answer last. */
function openAiLine(r: TrainingRecord): unknown {
  return { messages: r.messages.map((m) => ({ role: m.role, content: m.content })) };
}

/**
 * Anthropic (Claude fine-tuning on Bedrock): the system prompt apart, then user/assistant turns alternating
 * from the user's; consecutive turns of one role are joined (the format refuses them).
 */
function anthropicLine(r: TrainingRecord): unknown {
  const system = r.messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  const turns: Array<{ role: 'user' | 'assistant'; content: string }> = [];
  for (const m of r.messages) {
    if (m.role === 'system') continue;
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const last = turns.at(-1);
    if (last && last.role === role) last.content = `${last.content}\n\n${m.content}`;
    else turns.push({ role, content: m.content });
  }
  return system ? { system, messages: turns } : { messages: turns };
}

/** Hugging Face TRL, conversational prompt–completion: the prompt turns, then the completion turn. */
function hfLine(r: TrainingRecord): unknown {
  const last = r.messages.at(-1);
  return {
    prompt: r.messages.slice(0, -1).map((m) => ({ role: m.role, content: m.content })),
    completion: last ? [{ role: last.role, content: last.content }] : [],
  };
}

export function renderLine(record: TrainingRecord, format: ExportFormat): string {
  switch (format) {
    case 'openai-jsonl':
      return `${JSON.stringify(openAiLine(record))}\n`;
    case 'anthropic-jsonl':
      return `${JSON.stringify(anthropicLine(record))}\n`;
    case 'hf-jsonl':
      return `${JSON.stringify(hfLine(record))}\n`;
  }
}

/** OpenAI's per-example limit for chat fine-tuning (gpt-4o-mini, gpt-4.1 family): 65,536 tokens. */
export const OPENAI_EXAMPLE_TOKEN_LIMIT = 65_536;

/**
 * A conservative token estimate for OpenAI's chat format: about 4 characters a token for English text and
 * JSON (o200k averages more; erring high keeps an example under the limit), plus the 4 tokens each message's
 * framing costs and 3 for the reply's priming, as OpenAI's cookbook counts them.
 */
export function estimateChatTokens(messages: readonly ChatMessage[]): number {
  let tokens = 3;
  for (const m of messages) tokens += 4 + Math.ceil(m.content.length / 3.5);
  return tokens;
}

const OPENAI_ROLES = new Set(['system', 'user', 'assistant']);

/**
 * The problems OpenAI's fine-tuning file check would find in one line (empty when valid): a `messages` array,
 * known roles, non-empty string contents, an assistant message last (the one trained on), and the example
 * under the model's token limit.
 */
export function openAiLineProblems(line: string, tokenLimit = OPENAI_EXAMPLE_TOKEN_LIMIT): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return ['the line is not JSON'];
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return ['the line is not a JSON object'];
  const keys = Object.keys(parsed);
  const problems: string[] = [];
  if (keys.some((k) => k !== 'messages' && k !== 'tools' && k !== 'parallel_tool_calls')) problems.push(`unexpected keys: ${keys.join(', ')}`);
  const messages = (parsed as { messages?: unknown }).messages;
  if (!Array.isArray(messages) || messages.length === 0) return [...problems, 'messages must be a non-empty array'];
  messages.forEach((m: unknown, i) => {
    const msg = m as { role?: unknown; content?: unknown };
    if (typeof m !== 'object' || m === null) problems.push(`messages.${i} must be an object`);
    else {
      if (typeof msg.role !== 'string' || !OPENAI_ROLES.has(msg.role)) problems.push(`messages.${i}.role must be system, user or assistant`);
      if (typeof msg.content !== 'string' || msg.content.trim() === '') problems.push(`messages.${i}.content must be a non-empty string`);
    }
  });
  if (!messages.some((m: { role?: unknown }) => m?.role === 'user')) problems.push('messages must contain a user message');
  if ((messages.at(-1) as { role?: unknown } | undefined)?.role !== 'assistant') problems.push('the last message must be the assistant’s');
  if (problems.length === 0) {
    const tokens = estimateChatTokens(messages as ChatMessage[]);
    if (tokens > tokenLimit) problems.push(`about ${tokens} tokens, over the ${tokenLimit}-token limit`);
  }
  return problems;
}

/**
 * Which part of a split an example falls in, from its input hash: the same input always lands in the same
 * part (duplicates never straddle train and validation), and the share in `train` is `split`.
 */
export function splitPart(inputHash: string, split: number): 'train' | 'validation' {
  const bucket = parseInt(inputHash.slice(0, 8), 16) / 0x1_0000_0000;
  return bucket < split ? 'train' : 'validation';
}
