import { Injectable } from '@nestjs/common';
import type { ProfileView } from '@margin/contracts';
import { ConflictError, NotFoundError } from '@margin/core';
import { LRUCache } from 'lru-cache';
import { RoutingPolicyService } from '@margin/model-router';
import type { ProfileDefinition } from '../pipeline/pipeline.types';
import { deriveOutputSchema, escalate } from '../pipeline/quality-gate';
import { BUILT_IN_PROFILES, builtInProfile } from './built-in/built-in-profiles';
import type { CreateProfileRequest } from './dto/profile.dto';
import type { ProfileEntity } from './profile.entity';
import { ProfileRepository } from './profile.repository';
import { InvalidProfileError, unsafeProfilePatterns, validateProfile } from './profile-validation';

const MAX_CACHED_VERSIONS = 1_000;

export function toProfileView(profile: ProfileDefinition): ProfileView {
  return {
    key: profile.key,
    version: profile.version,
    name: profile.name,
    description: profile.description,
    inputSchema: profile.inputSchema,
    outputSchema: profile.outputSchema,
    steps: profile.steps.map((s) => ({ name: s.name, operation: s.operation, complexity: s.complexity })),
    cacheScope: profile.cacheScope,
    builtIn: profile.builtIn,
  };
}

function toDefinition(row: ProfileEntity): ProfileDefinition {
  return {
    key: row.key,
    version: row.version,
    name: row.name,
    description: row.description,
    inputSchema: row.inputSchema,
    outputSchema: row.outputSchema,
    steps: row.steps,
    qualityGate: row.qualityGate ?? undefined,
    cacheScope: row.cacheScope,
    builtIn: false,
    tenantId: row.tenantId,
  };
}

/** "blog-post" or "blog-post@2". */
export function parseProfileRef(ref: string): { key: string; version?: number } {
  const m = /^(.+)@(\d+)$/.exec(ref);
  return m?.[1] && m[2] ? { key: m[1], version: Number(m[2]) } : { key: ref };
}

/** Built-in profiles (in code, for everyone) and each tenant's own (versioned rows). */
@Injectable()
export class ProfilesService {
  /** Versions never change once saved, so a resolved version can be kept. */
  private readonly versions = new LRUCache<string, ProfileDefinition>({ max: MAX_CACHED_VERSIONS });

  constructor(
    private readonly repo: ProfileRepository,
    private readonly policy: RoutingPolicyService,
  ) {}

  /** Built-ins first, then the tenant's own, each at its latest version. */
  async list(tenantId: string): Promise<ProfileView[]> {
    const own = await this.repo.listLatest(tenantId);
    return [...BUILT_IN_PROFILES, ...own.map(toDefinition)].map(toProfileView);
  }

  /** A built-in, or one of the tenant's profiles, at `version` or the latest; null when there is none. */
  async get(tenantId: string, key: string, version?: number): Promise<ProfileDefinition | null> {
    const builtIn = builtInProfile(key);
    if (builtIn) return version === undefined || version === builtIn.version ? builtIn : null;
    if (version !== undefined) {
      const cacheKey = `${tenantId}\u0000${key}\u0000${version}`;
      const hit = this.versions.get(cacheKey);
      if (hit) return hit;
      const row = await this.repo.findVersion(tenantId, key, version);
      if (!row) return null;
      const def = toDefinition(row);
      this.versions.set(cacheKey, def);
      return def;
    }
    const row = await this.repo.findLatest(tenantId, key);
    return row ? toDefinition(row) : null;
  }

  /** As `get`, for callers that need the profile: unknown, and another tenant's, are both 404. */
  async resolve(tenantId: string, key: string, version?: number): Promise<ProfileDefinition> {
    const profile = await this.get(tenantId, key, version);
    if (!profile) throw new NotFoundError(version === undefined ? `Profile "${key}"` : `Profile "${key}" version ${version}`);
    return profile;
  }

  /** Saves a tenant's profile; an existing key gets its next version. */
  async create(tenantId: string, request: CreateProfileRequest): Promise<ProfileView> {
    if (builtInProfile(request.key)) throw new ConflictError(`"${request.key}" is the key of a built-in profile: choose another key`);
    const problems: string[] = [];
    if (request.cacheScope === 'global') {
      // Keys are per tenant: two tenants' "summary" profiles must never share cached answers.
      problems.push('cacheScope "global" is reserved for built-in profiles: a tenant profile is cached for its own tenant');
    }
    const draft: Omit<ProfileDefinition, 'outputSchema'> & { outputSchema?: ProfileDefinition['outputSchema'] } = {
      key: request.key,
      version: 1,
      name: request.name,
      description: request.description ?? '',
      inputSchema: request.inputSchema,
      steps: request.steps.map((s) => ({
        name: s.name,
        operation: s.operation,
        complexity: s.complexity,
        ...(s.system !== undefined ? { system: s.system } : {}),
        prompt: s.prompt,
        outputSchema: s.outputSchema,
        ...(s.maxTokens !== undefined ? { maxTokens: s.maxTokens } : {}),
      })),
      qualityGate: request.qualityGate
        ? {
            assessStep: request.qualityGate.assessStep,
            refineStep: request.qualityGate.refineStep,
            scoreField: request.qualityGate.scoreField,
            threshold: request.qualityGate.threshold,
            maxRounds: request.qualityGate.maxRounds,
          }
        : undefined,
      cacheScope: 'tenant',
      builtIn: false,
      tenantId,
    };
    const outputSchema = request.outputSchema ?? deriveOutputSchema(draft);
    if (!outputSchema)
      problems.push(
        "outputSchema is required: it cannot be derived from these steps (under a quality gate, the assessed step's outputSchema must be an object schema with properties)",
      );
    const profile: ProfileDefinition = { ...draft, outputSchema: outputSchema ?? {} };
    problems.push(...validateProfile(profile), ...this.routingProblems(tenantId, profile));
    if (problems.length === 0) problems.push(...(await unsafeProfilePatterns(profile)));
    if (problems.length > 0) throw new InvalidProfileError([...new Set(problems)]);

    const row = await this.repo.insertNextVersion(tenantId, {
      key: profile.key,
      name: profile.name,
      description: profile.description,
      inputSchema: profile.inputSchema,
      outputSchema: profile.outputSchema,
      steps: profile.steps,
      qualityGate: profile.qualityGate ?? null,
      cacheScope: profile.cacheScope,
    });
    return toProfileView(toDefinition(row));
  }

  /** Every operation × complexity a run can ask for must have a route (the refine step's escalated tiers too). */
  private routingProblems(tenantId: string, profile: ProfileDefinition): string[] {
    const problems: string[] = [];
    profile.steps.forEach((step, i) => {
      const gate = profile.qualityGate;
      const tiers =
        gate && step.name === gate.refineStep
          ? Array.from({ length: Math.max(1, gate.maxRounds) }, (_, r) => escalate(step.complexity, r + 1))
          : [step.complexity];
      for (const complexity of new Set(tiers)) {
        try {
          this.policy.cell(tenantId, step.operation, complexity);
        } catch {
          problems.push(`steps.${i}.operation "${step.operation}" has no routing policy at complexity "${complexity}"`);
        }
      }
    });
    return problems;
  }
}
