import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ProviderConfigEntity } from './provider-config.entity';

export type ProviderConfigWithKey = ProviderConfigEntity & { apiKeyEncrypted: string | null };

/** Providers are installation-wide settings, so these queries are not tenant-scoped by design. */
@Injectable()
export class ProviderConfigRepository {
  constructor(@InjectRepository(ProviderConfigEntity) private readonly providers: Repository<ProviderConfigEntity>) {}

  listWithKeys(): Promise<ProviderConfigWithKey[]> {
    return this.providers.createQueryBuilder('p').addSelect('p.apiKeyEncrypted').orderBy('p.created_at', 'ASC').getMany() as Promise<ProviderConfigWithKey[]>;
  }

  findById(id: string): Promise<ProviderConfigEntity | null> {
    return this.providers.findOneBy({ id });
  }

  findByIdWithKey(id: string): Promise<ProviderConfigWithKey | null> {
    return this.providers.createQueryBuilder('p').addSelect('p.apiKeyEncrypted').where('p.id = :id', { id }).getOne() as Promise<ProviderConfigWithKey | null>;
  }

  /** Inserts unless the id exists; true when it inserted (several instances may start at once). */
  async insertIfAbsent(row: Omit<ProviderConfigWithKey, 'createdAt' | 'updatedAt'>): Promise<boolean> {
    const result = await this.providers.createQueryBuilder().insert().into(ProviderConfigEntity).values(row).orIgnore().execute();
    return (result.raw as unknown[]).length > 0;
  }

  async update(id: string, patch: Partial<Omit<ProviderConfigWithKey, 'id' | 'createdAt' | 'updatedAt'>>): Promise<void> {
    await this.providers.update({ id }, patch);
  }
}
