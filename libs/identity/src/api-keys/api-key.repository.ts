import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Role } from '@margin/contracts';
import { IsNull, Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';

/** `creatorRole`: the current role of the user who made the key (null when made by no user). */
export type ApiKeyWithHash = ApiKeyEntity & { keyHash: string; tenantIsOperator: boolean; creatorRole: Role | null };

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  /** Authentication starts from the key alone: the prefix is public and unique, the hash is compared after. */
  async findActiveByPrefixWithHash(prefix: string): Promise<ApiKeyWithHash | null> {
    const row = await this.keys
      .createQueryBuilder('k')
      .addSelect('k.keyHash')
      .innerJoin('tenants', 't', 't.id = k.tenant_id')
      .addSelect('t.is_operator', 'is_operator')
      .leftJoin('users', 'u', 'u.id = k.created_by_user_id AND u.tenant_id = k.tenant_id')
      .addSelect('u.role', 'creator_role')
      .where('k.prefix = :prefix AND k.revoked_at IS NULL', { prefix })
      .getRawAndEntities();
    const key = row.entities[0] as (ApiKeyEntity & { keyHash: string }) | undefined;
    const raw = row.raw[0] as { is_operator: boolean; creator_role: Role | null } | undefined;
    return key ? Object.assign(key, { tenantIsOperator: Boolean(raw?.is_operator), creatorRole: raw?.creator_role ?? null }) : null;
  }

  findById(tenantId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOneBy({ tenantId, id });
  }

  listByTenant(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.keys.find({ where: { tenantId }, order: { createdAt: 'DESC' } });
  }

  create(tenantId: string, data: { name: string; prefix: string; keyHash: string; role: Role; createdByUserId: string | null }): Promise<ApiKeyEntity> {
    return this.keys.save(this.keys.create({ ...data, tenantId, lastUsedAt: null, revokedAt: null }));
  }

  /** Revokes every live key a user made; returns how many. */
  async revokeByCreator(tenantId: string, userId: string, at: Date): Promise<number> {
    const result = await this.keys.update({ tenantId, createdByUserId: userId, revokedAt: IsNull() }, { revokedAt: at });
    return result.affected ?? 0;
  }

  async revoke(tenantId: string, id: string, at: Date): Promise<void> {
    await this.keys.update({ tenantId, id, revokedAt: IsNull() }, { revokedAt: at });
  }

  /** Only moves forward, so late or replayed touches never rewind the time. */
  async touch(tenantId: string, id: string, usedAt: Date): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ lastUsedAt: usedAt })
      .where('tenant_id = :tenantId AND id = :id', { tenantId, id })
      .andWhere('(last_used_at IS NULL OR last_used_at < :usedAt)', { usedAt })
      .execute();
  }
}
