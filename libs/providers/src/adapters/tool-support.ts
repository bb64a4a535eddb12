// Tool-call pieces the adapters share: merging streamed tool-call deltas into whole calls, and the JSON
// text ↔ object conversions Anthropic (`input`) and Ollama (`arguments` object) need.
import type { LlmMessage, ToolCall, ToolCallDelta } from '../llm-provider';
import { ProviderBadRequestError } from '../provider-errors';

/** Collects streamed tool-call deltas (by index) into the calls of the turn. */
export class ToolCallAccumulator {
  private readonly calls = new Map<number, ToolCall>();

  add(delta: ToolCallDelta): void {
    const call = this.calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
    if (delta.id) call.id = delta.id;
    if (delta.name) call.name = delta.name;
    call.arguments += delta.arguments;
    this.calls.set(delta.index, call);
  }

  get size(): number {
    return this.calls.size;
  }

  /** The calls in index order (undefined when there were none). */
  result(): ToolCall[] | undefined {
    if (this.calls.size === 0) return undefined;
    return [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
  }
}

/** A tool call's arguments as an object (what Anthropic's `input` and Ollama's `arguments` are). */
export function argumentsObject(providerId: string, call: ToolCall): Record<string, unknown> {
  if (call.arguments.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.arguments) as unknown;
  } catch {
    throw new ProviderBadRequestError(providerId, `the arguments of tool call ${call.id} (${call.name}) are not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProviderBadRequestError(providerId, `the arguments of tool call ${call.id} (${call.name}) are not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

export function hasToolCalls(m: LlmMessage): m is Extract<LlmMessage, { toolCalls: ToolCall[] }> {
  return 'toolCalls' in m && Array.isArray(m.toolCalls) && m.toolCalls.length > 0;
}

export function isToolResult(m: LlmMessage): m is Extract<LlmMessage, { role: 'tool' }> {
  return m.role === 'tool';
}

/** The name of the function a tool result answers, from the assistant turn that called it. */
export function toolNameOf(messages: readonly LlmMessage[], toolCallId: string): string | undefined {
  for (const m of messages) if (hasToolCalls(m)) for (const c of m.toolCalls) if (c.id === toolCallId) return c.name;
  return undefined;
}
