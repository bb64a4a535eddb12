import { Injectable, Logger } from '@nestjs/common';
import { roleAtLeast, type ApiKeyView, type CreatedApiKey, type Role, type TouchApiKeyPayload } from '@margin/contracts';
import { Clock, generateApiKey, NotFoundError } from '@margin/core';
import type { Principal } from '../auth/principal';
import { RoleTooHighError } from '../identity.errors';
import { toApiKeyView } from '../identity.mappers';
import { ApiKeyRepository } from './api-key.repository';
import { VerifiedKeyCache } from './verified-key-cache';

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly clock: Clock,
    private readonly verifiedKeys: VerifiedKeyCache,
  ) {}

  async create(principal: Principal, input: { name: string; role?: Role }): Promise<CreatedApiKey> {
    const role = input.role ?? 'member';
    if (!roleAtLeast(principal.role, role)) throw new RoleTooHighError('create a key');
    const { key, prefix, hash } = generateApiKey();
    const saved = await this.keys.create(principal.tenantId, {
      name: input.name,
      prefix,
      keyHash: hash,
      role,
      createdByUserId: principal.userId,
    });
    this.logger.log({ tenantId: principal.tenantId, apiKeyId: saved.id, prefix }, 'API key created');
    return { ...toApiKeyView(saved), key };
  }

  async list(principal: Principal): Promise<ApiKeyView[]> {
    return (await this.keys.listByTenant(principal.tenantId)).map(toApiKeyView);
  }

  async get(principal: Principal, id: string): Promise<ApiKeyView> {
    const key = await this.keys.findById(principal.tenantId, id);
    if (!key) throw new NotFoundError('API key');
    return toApiKeyView(key);
  }

  /** Idempotent: revoking a revoked key is not an error; another tenant's key is "not found". */
  async revoke(principal: Principal, id: string): Promise<void> {
    const key = await this.keys.findById(principal.tenantId, id);
    if (!key) throw new NotFoundError('API key');
    if (!roleAtLeast(principal.role, key.role)) throw new RoleTooHighError('revoke a key');
    await this.keys.revoke(principal.tenantId, id, this.clock.now());
    await this.verifiedKeys.invalidateEverywhere();
    this.logger.log({ tenantId: principal.tenantId, apiKeyId: id }, 'API key revoked');
  }

  async touch(payload: TouchApiKeyPayload): Promise<void> {
    await this.keys.touch(payload.tenantId, payload.apiKeyId, new Date(payload.usedAt));
  }
}
