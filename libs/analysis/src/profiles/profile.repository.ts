import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isUniqueViolation } from '@margin/core';
import { Repository } from 'typeorm';
import { ProfileEntity } from './profile.entity';

export type NewProfileVersion = Pick<ProfileEntity, 'key' | 'name' | 'description' | 'inputSchema' | 'outputSchema' | 'steps' | 'qualityGate' | 'cacheScope'>;

const MAX_INSERT_TRIES = 5;

@Injectable()
export class ProfileRepository {
  constructor(@InjectRepository(ProfileEntity) private readonly profiles: Repository<ProfileEntity>) {}

  /** The latest version of each of the tenant's profiles, by key. */
  listLatest(tenantId: string): Promise<ProfileEntity[]> {
    return this.profiles
      .createQueryBuilder('p')
      .distinctOn(['p.key'])
      .where('p.tenant_id = :tenantId', { tenantId })
      .orderBy('p.key', 'ASC')
      .addOrderBy('p.version', 'DESC')
      .getMany();
  }

  findLatest(tenantId: string, key: string): Promise<ProfileEntity | null> {
    return this.profiles.findOne({ where: { tenantId, key }, order: { version: 'DESC' } });
  }

  findVersion(tenantId: string, key: string, version: number): Promise<ProfileEntity | null> {
    return this.profiles.findOneBy({ tenantId, key, version });
  }

  /** Saves the next version of a key (1 for a new key). Concurrent posts of one key get consecutive versions. */
  async insertNextVersion(tenantId: string, data: NewProfileVersion): Promise<ProfileEntity> {
    for (let attempt = 1; ; attempt++) {
      const latest = await this.profiles
        .createQueryBuilder('p')
        .select('MAX(p.version)', 'max')
        .where('p.tenant_id = :tenantId AND p.key = :key', { tenantId, key: data.key })
        .getRawOne<{ max: number | null }>();
      try {
        return await this.profiles.save(this.profiles.create({ ...data, tenantId, version: (latest?.max ?? 0) + 1 }));
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= MAX_INSERT_TRIES) throw err;
      }
    }
  }
}
