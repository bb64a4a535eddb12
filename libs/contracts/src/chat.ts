// What every layer that builds or reads an LLM call shares: the messages sent and the schema the answer must meet.

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** A JSON Schema (draft 2020-12 subset) the answer must satisfy. */
export type JsonSchema = Record<string, unknown>;
