import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EndpointType } from '@margin/contracts';
import { In, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { EndpointEntity } from './endpoint.entity';

export interface NewEndpoint {
  type: EndpointType;
  name: string;
  url: string | null;
  credentials: string | null;
  config: Record<string, unknown>;
  enabled: boolean;
  publicSlug: string | null;
  at: Date;
}

export type EndpointPatch = Partial<Pick<EndpointEntity, 'name' | 'url' | 'credentials' | 'config' | 'enabled'>>;

/** A tenant's publishing endpoints; every query names the tenant, except the public blog's lookup by its slug. */
@Injectable()
export class EndpointsRepository {
  constructor(@InjectRepository(EndpointEntity) private readonly endpoints: Repository<EndpointEntity>) {}

  async create(tenantId: string, e: NewEndpoint): Promise<EndpointEntity> {
    const row = this.endpoints.create({ ...e, tenantId, createdAt: e.at, updatedAt: e.at });
    return this.endpoints.save(row);
  }

  list(tenantId: string): Promise<EndpointEntity[]> {
    return this.endpoints.find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  find(tenantId: string, id: string): Promise<EndpointEntity | null> {
    return this.endpoints.findOneBy({ tenantId, id });
  }

  findMany(tenantId: string, ids: readonly string[]): Promise<EndpointEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.endpoints.findBy({ tenantId, id: In([...ids]) });
  }

  blogOf(tenantId: string): Promise<EndpointEntity | null> {
    return this.endpoints.findOneBy({ tenantId, type: 'blog' });
  }

  /** The public blog behind /blog/:slug (public pages: the slug is what names the tenant). */
  findBlogBySlug(publicSlug: string): Promise<EndpointEntity | null> {
    return this.endpoints.findOneBy({ publicSlug, type: 'blog' });
  }

  async slugTaken(publicSlug: string): Promise<boolean> {
    return (await this.endpoints.countBy({ publicSlug })) > 0;
  }

  async update(tenantId: string, id: string, patch: EndpointPatch, at: Date): Promise<EndpointEntity | null> {
    // jsonb config: TypeORM's deep-partial type does not know a Record is stored whole
    await this.endpoints.update({ tenantId, id }, { ...patch, updatedAt: at } as QueryDeepPartialEntity<EndpointEntity>);
    return this.find(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.endpoints.delete({ tenantId, id });
    return (result.affected ?? 0) > 0;
  }
}
