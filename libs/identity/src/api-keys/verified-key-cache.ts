import { Injectable, OnModuleInit } from '@nestjs/common';
import { ChangeFeed, Clock, ttlCache, type TtlCache } from '@margin/core';
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
  private readonly entries: TtlCache<string, Principal>;

  constructor(
    private readonly changes: ChangeFeed,
    clock: Clock,
  ) {
    this.entries = ttlCache<string, Principal>({ max: MAX_ENTRIES, ttlMs: TTL_MS, clock });
  }

  async onModuleInit(): Promise<void> {
    await this.changes.subscribe(TOPIC, () => this.entries.clear());
  }

  get(keyHash: string): Principal | undefined {
    return this.entries.get(keyHash);
  }

  set(keyHash: string, principal: Principal): void {
    this.entries.set(keyHash, principal);
  }

  async invalidateEverywhere(): Promise<void> {
    this.entries.clear();
    await this.changes.publish(TOPIC);
  }
}
