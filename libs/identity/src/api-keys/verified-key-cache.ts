import { Injectable, OnModuleInit } from '@nestjs/common';
import { ChangeFeed, Clock } from '@margin/core';
import { CREDENTIAL_CHANGE_TOPICS, type Principal } from '../auth/principal';

const TOPIC = CREDENTIAL_CHANGE_TOPICS[0];
const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Verified API keys, in memory for a minute, so that integrators' calls (the /v1 gateway above all) skip a
 * database lookup per request. Revoking a key clears every process's cache: at once in the process that
 * revoked it, within a pub/sub message (milliseconds) elsewhere. Only successful verifications are kept.
 */
@Injectable()
export class VerifiedKeyCache implements OnModuleInit {
  private readonly entries = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly changes: ChangeFeed,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.changes.subscribe(TOPIC, () => this.entries.clear());
  }

  get(keyHash: string): Principal | undefined {
    const hit = this.entries.get(keyHash);
    if (!hit) return undefined;
    if (hit.expiresAt <= this.clock.now().getTime()) {
      this.entries.delete(keyHash);
      return undefined;
    }
    return hit.principal;
  }

  set(keyHash: string, principal: Principal): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(keyHash, { principal, expiresAt: this.clock.now().getTime() + TTL_MS });
  }

  async invalidateEverywhere(): Promise<void> {
    this.entries.clear();
    await this.changes.publish(TOPIC);
  }
}
