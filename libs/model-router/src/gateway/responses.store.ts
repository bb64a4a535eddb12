// Stored Responses (`store: true`, OpenAI's default) in Redis, per tenant, for 30 days: the response object
// GET /v1/responses/{id} returns, and the conversation so far, which `previous_response_id` continues.
import { Inject, Injectable } from '@nestjs/common';
import type { ChatMessage } from '@margin/contracts';
import { REDIS } from '@margin/core';
import type Redis from 'ioredis';

/** OpenAI keeps stored responses for 30 days. */
export const RESPONSE_TTL_MS = 30 * 24 * 60 * 60_000;

export interface StoredResponse {
  /** The response object, as returned. */
  response: Record<string, unknown>;
  /** The conversation up to and including this response's output (instructions excluded: they apply to one call only). */
  history: ChatMessage[];
}

@Injectable()
export class ResponsesStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  private key(tenantId: string, id: string): string {
    return `margin:v1:resp:{${tenantId}}:${id}`;
  }

  async save(tenantId: string, id: string, stored: StoredResponse): Promise<void> {
    await this.redis.set(this.key(tenantId, id), JSON.stringify(stored), 'PX', RESPONSE_TTL_MS);
  }

  async find(tenantId: string, id: string): Promise<StoredResponse | undefined> {
    const raw = await this.redis.get(this.key(tenantId, id));
    return raw ? (JSON.parse(raw) as StoredResponse) : undefined;
  }

  async remove(tenantId: string, id: string): Promise<boolean> {
    return (await this.redis.del(this.key(tenantId, id))) > 0;
  }
}
