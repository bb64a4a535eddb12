// One submission's items, taken as they arrive: validated against the profile, hashed, and handed out in chunks.
import { findUnstorableText } from '@margin/core';
import { createHash } from 'node:crypto';
import { canonicalJson, inputHashOfCanonical } from '../cache/canonical';
import type { ProfileDefinition } from '../pipeline/pipeline.types';
import { compileSchema, type SchemaValidator } from '../pipeline/json-schema';
import type { BodyEvent } from './json-body-stream';
import type { NewItem } from './jobs.repository';

/** Problems listed in a 400 at most (as before streaming). */
export const MAX_LISTED_PROBLEMS = 100;

export interface IntakeChunk {
  items: NewItem[];
}

export interface IntakeOptions {
  /** The profile named by the body's `profile` field; throws (404) when there is none. */
  resolveProfile: (ref: string) => Promise<ProfileDefinition>;
  /** Whether `profile` is well-formed enough to look up (the full check is the DTO's, at the end). */
  isProfileRef: (ref: unknown) => ref is string;
  maxItems: number;
  chunkSize: number;
  /** Called with each full chunk of valid items, in order, while no problem has been found. */
  onChunk: (chunk: IntakeChunk, profile: ProfileDefinition) => Promise<void>;
  /** Items beyond this many are not handed out (the plan's per-job limit); the caller refuses the job. */
  stopAfter?: number | null;
  /** Whether the request hashes are wanted (only an Idempotency-Key needs them). */
  requestHashes?: boolean;
}

/**
 * Reads a submission's body events. Items are checked one by one (object, then the profile's input schema) and
 * only valid ones are handed to `onChunk`; after the first problem nothing more is handed out but the rest is
 * still read, so that the 400 lists problems further on and the client's upload completes normally.
 */
export class JobIntake {
  readonly fields: Record<string, unknown> = {};
  profile: ProfileDefinition | null = null;
  /** A problem that ends the submission once the body is read (e.g. an unknown profile). */
  deferredError: unknown = null;
  count = 0;
  readonly problems: string[] = [];
  nonObject = false;
  itemsNotArray = false;
  inputChars = 0;

  private validator: SchemaValidator | null = null;
  private chunk: NewItem[] = [];
  /** Items that arrived before `profile` (a body with `items` first): kept until the profile is known. */
  private pending: unknown[] = [];
  private profileTried = false;
  private readonly itemsDigest = createHash('sha256');

  constructor(private readonly o: IntakeOptions) {}

  async consume(events: AsyncIterable<BodyEvent>): Promise<void> {
    for await (const e of events) {
      switch (e.kind) {
        case 'field':
          if (e.key === 'items') {
            this.itemsNotArray = true;
            break;
          }
          this.noteUnstorable(e.value, e.key);
          this.fields[e.key] = e.value;
          if (e.key === 'profile' && this.pending.length) await this.drainPending();
          break;
        case 'item':
          if (!this.profileTried && this.o.isProfileRef(this.fields.profile)) await this.loadProfile(this.fields.profile);
          if (!this.profileTried) this.pending.push(e.value);
          else await this.take(e.value);
          break;
        case 'itemsStart':
        case 'itemsEnd':
          break;
      }
    }
    if (this.pending.length) await this.drainPending();
    if (this.chunk.length && this.handingOut()) await this.flush();
  }

  /** True while valid items are still being handed out. */
  handingOut(): boolean {
    return (
      this.profile !== null &&
      this.deferredError === null &&
      this.problems.length === 0 &&
      !this.nonObject &&
      this.count <= this.o.maxItems &&
      (this.o.stopAfter == null || this.count <= this.o.stopAfter)
    );
  }

  /** The request hash stored with a job: the validated fields and the digest of every item, key order aside. */
  requestHash(fields: Record<string, unknown>): string {
    const digest = this.itemsDigest.copy().digest('hex');
    return createHash('sha256')
      .update(canonicalJson({ ...fields, items: { sha256: digest, count: this.count } }))
      .digest('hex');
  }

  private async loadProfile(ref: string): Promise<void> {
    this.profileTried = true;
    try {
      this.profile = await this.o.resolveProfile(ref);
      this.validator = compileSchema(this.profile.inputSchema);
    } catch (err) {
      this.deferredError = err;
    }
  }

  private async drainPending(): Promise<void> {
    if (!this.profileTried && this.o.isProfileRef(this.fields.profile)) await this.loadProfile(this.fields.profile);
    if (!this.profileTried) return;
    const items = this.pending;
    this.pending = [];
    for (const value of items) await this.take(value);
  }

  private async take(value: unknown): Promise<void> {
    const index = this.count++;
    if (this.count > this.o.maxItems) return;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.nonObject = true;
      return;
    }
    if (!this.profile || !this.validator) return;
    if (this.problems.length < MAX_LISTED_PROBLEMS) {
      const found = this.validator.problems(value, `items.${index}`);
      if (found.length) this.problems.push(...found.slice(0, MAX_LISTED_PROBLEMS - this.problems.length));
      else this.noteUnstorable(value, `items.${index}`);
    }
    const canonical = canonicalJson(value);
    this.inputChars += canonical.length;
    const hash = inputHashOfCanonical(this.profile.key, this.profile.version, canonical);
    if (this.o.requestHashes) this.itemsDigest.update(hash);
    if (!this.handingOut()) return;
    this.chunk.push({ index, input: value, inputHash: hash });
    if (this.chunk.length >= this.o.chunkSize) await this.flush();
  }

  /** Text the database cannot store (NUL, a lone surrogate) is a problem of the field or item, not a 500 later. */
  private noteUnstorable(value: unknown, path: string): void {
    if (this.problems.length >= MAX_LISTED_PROBLEMS) return;
    const found = findUnstorableText(value, path);
    if (found) this.problems.push(found);
  }

  private async flush(): Promise<void> {
    const items = this.chunk;
    this.chunk = [];
    if (this.profile) await this.o.onChunk({ items }, this.profile);
  }
}
