import { Injectable } from '@nestjs/common';
import type { CacheScope } from '@margin/contracts';
import type { Principal } from '@margin/identity';
import { AnalysisCacheService, requestedScope } from '../../cache/analysis-cache.service';
import type { ProfileDefinition } from '../../pipeline/pipeline.types';
import { parseProfileRef, ProfilesService } from '../../profiles/profiles.service';
import { InvalidItemsError } from '../item-input';
import { JobIntake } from '../job-intake';
import { isProfileRef, MAX_ITEMS_PER_JOB } from '../jobs.dto';
import type { NewItem } from '../jobs.repository';
import { NoItemsError, type SubmitFields, type SubmitSource } from './submission';

/** Items validated, hashed (and cache-checked) per chunk: one round trip each. */
export const ITEM_CHUNK = 1000;

export interface ReadOptions {
  /** Gets each chunk of valid items while the body arrives (the submission's spool); absent: items are only counted. */
  keep?: (items: NewItem[]) => Promise<void>;
  /** Items beyond this many are not handed out (the plan's per-job limit). */
  stopAfter?: number | null;
  /** Whether the request hash is wanted (only an Idempotency-Key needs it). */
  requestHashes?: boolean;
}

/** A submission read to its end and checked. */
export interface ReadSubmission {
  intake: JobIntake;
  fields: SubmitFields;
  profile: ProfileDefinition;
  /** The cache scope the job uses. */
  scope: CacheScope;
  /** Items the cache already holds in that scope (duplicates counted each time). */
  cacheHits: number;
}

/** How many items the cache already has, per scope the job may use, counted chunk by chunk. */
class CachedCount {
  private readonly counts: Record<CacheScope, number> = { global: 0, tenant: 0 };

  add(counts: Record<CacheScope, number>): void {
    this.counts.global += counts.global;
    this.counts.tenant += counts.tenant;
  }

  in(scope: CacheScope): number {
    return this.counts[scope];
  }
}

/**
 * Reads a submission's body for submit and estimate alike: items validated, hashed and counted against the
 * cache a chunk at a time while it arrives, then the checks that need the whole body.
 */
@Injectable()
export class SubmissionReader {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly cache: AnalysisCacheService,
  ) {}

  async read(principal: Principal, source: SubmitSource, options: ReadOptions = {}): Promise<ReadSubmission> {
    const tenantId = principal.tenantId;
    const cached = new CachedCount();
    const intake = new JobIntake({
      resolveProfile: (ref) => this.resolveProfile(tenantId, ref),
      isProfileRef: isProfileRef,
      maxItems: MAX_ITEMS_PER_JOB,
      chunkSize: ITEM_CHUNK,
      onChunk: async ({ items }, profile) => {
        await options.keep?.(items);
        cached.add(
          await this.cache.countCached(
            tenantId,
            profile,
            items.map((it) => it.inputHash),
          ),
        );
      },
      stopAfter: options.stopAfter ?? null,
      requestHashes: options.requestHashes ?? false,
    });
    await intake.consume(source.events);
    const { fields, profile } = await this.check(source, intake);
    const scope = requestedScope(profile, fields.cacheScope);
    return { intake, fields, profile, scope, cacheHits: cached.in(scope) };
  }

  private async resolveProfile(tenantId: string, ref: string): Promise<ProfileDefinition> {
    const { key, version } = parseProfileRef(ref);
    return this.profiles.resolve(tenantId, key, version);
  }

  /** The checks that need the whole body, in the order they always ran: fields, items present, profile, items valid. */
  private async check(source: SubmitSource, intake: JobIntake): Promise<{ fields: SubmitFields; profile: ProfileDefinition }> {
    const fields = await source.checkFields(intake.fields, {
      notArray: intake.itemsNotArray,
      tooMany: intake.count > MAX_ITEMS_PER_JOB,
      nonObject: intake.nonObject,
    });
    if (intake.count === 0) throw new NoItemsError();
    if (intake.deferredError) throw intake.deferredError;
    if (intake.problems.length) throw new InvalidItemsError(intake.problems);
    if (!intake.profile) throw new NoItemsError(); // a well-formed profile with items is always resolved
    return { fields, profile: intake.profile };
  }
}
