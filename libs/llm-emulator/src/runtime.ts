import type { IncomingMessage } from 'node:http';
import { LRUCache } from 'lru-cache';
import { findModel, isFaultKind, type EmulatorConfig, type FaultKind, type ResolvedModel } from './config';
import { header } from './http-util';
import { RateLimiter, SlotPool, type Clock } from './rate-limit';
import { createRng, type Rng } from './rng';

export const FAULT_HEADER = 'x-emulator-fault';
export const LATENCY_HEADER = 'x-emulator-latency-ms';
export const TPS_HEADER = 'x-emulator-tokens-per-second';
export const EMULATOR_HEADER = 'x-margin-emulator';

export interface ModelStats {
  requests: number;
  completed: number;
  failed: number;
  active: number;
  queued: number;
  promptTokens: number;
  completionTokens: number;
  faults: Partial<Record<FaultKind, number>>;
  /** HTTP statuses of error answers */
  errors: Record<string, number>;
}

export interface ScheduledFault {
  kind: FaultKind;
  /** only for this model (any model when absent) */
  model?: string;
  /** remaining uses; Infinity = until cleared */
  remaining: number;
}

/** Remembers prompt prefixes to report cached prompt tokens (OpenAI automatic cache, Anthropic cache_control). */
export class PromptCache {
  private readonly entries: LRUCache<string, true>;
  constructor(
    private ttlMs: number,
    now: Clock,
  ) {
    // each entry gets the TTL in force when it is stored; the time is read at every lookup, so a test's clock can jump
    this.entries = new LRUCache<string, true>({ max: 10_000, ttlResolution: 0, perf: { now } });
  }

  setTtl(ms: number): void {
    this.ttlMs = ms;
  }

  /** true if `key` was seen within the TTL; always (re)stores it. */
  touch(key: string): boolean {
    const hit = this.entries.has(key);
    // a TTL of 0 caches nothing (to lru-cache it would mean "forever")
    if (this.ttlMs > 0) this.entries.set(key, true, { ttl: this.ttlMs });
    return hit;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Mutable state shared by the protocol handlers. */
export class Runtime {
  private limiters = new Map<string, RateLimiter>();
  private pools = new Map<string, SlotPool>();
  private statsByModel = new Map<string, ModelStats>();
  private scheduled: ScheduledFault[] = [];
  private faultRng: Rng;
  readonly promptCache: PromptCache;

  constructor(
    public config: EmulatorConfig,
    readonly now: Clock = Date.now,
  ) {
    this.faultRng = createRng(`faults:${config.seed}`);
    this.promptCache = new PromptCache(config.promptCache.ttlSeconds * 1000, now);
  }

  /** Applies a new configuration (limits and slot counts are updated in place). */
  setConfig(config: EmulatorConfig): void {
    const seedChanged = config.seed !== this.config.seed;
    this.config = config;
    if (seedChanged) this.faultRng = createRng(`faults:${config.seed}`);
    this.promptCache.setTtl(config.promptCache.ttlSeconds * 1000);
    for (const [name, limiter] of this.limiters) {
      const m = this.findModel(name);
      if (m) limiter.setLimits({ rpm: m.rpm, tpm: m.tpm });
    }
    for (const [name, pool] of this.pools) {
      const m = this.findModel(name);
      if (m) pool.resize(m.parallel, m.maxQueue);
    }
  }

  /** Clears rate-limit buckets, the prompt cache, scheduled faults and statistics. */
  reset(): void {
    this.limiters.clear();
    this.statsByModel.clear();
    this.scheduled = [];
    this.promptCache.clear();
    this.faultRng = createRng(`faults:${this.config.seed}`);
  }

  findModel(name: string): ResolvedModel | undefined {
    return findModel(this.config, name);
  }

  limiter(model: ResolvedModel): RateLimiter {
    let l = this.limiters.get(model.name);
    if (!l) {
      l = new RateLimiter({ rpm: model.rpm, tpm: model.tpm }, this.now);
      this.limiters.set(model.name, l);
    }
    return l;
  }

  slots(model: ResolvedModel): SlotPool {
    let p = this.pools.get(model.name);
    if (!p) {
      p = new SlotPool(model.parallel, model.maxQueue);
      this.pools.set(model.name, p);
    }
    return p;
  }

  stats(modelName: string): ModelStats {
    let s = this.statsByModel.get(modelName);
    if (!s) {
      s = { requests: 0, completed: 0, failed: 0, active: 0, queued: 0, promptTokens: 0, completionTokens: 0, faults: {}, errors: {} };
      this.statsByModel.set(modelName, s);
    }
    return s;
  }

  allStats(): Record<string, ModelStats> {
    const out: Record<string, ModelStats> = {};
    for (const [name, s] of this.statsByModel) {
      const pool = this.pools.get(name);
      out[name] = { ...s, faults: { ...s.faults }, errors: { ...s.errors }, active: pool?.active ?? 0, queued: pool?.queued ?? 0 };
    }
    return out;
  }

  scheduleFault(kind: FaultKind | null, options: { model?: string; times?: number } = {}): void {
    if (kind === null) {
      this.scheduled = options.model ? this.scheduled.filter((f) => f.model !== options.model) : [];
      return;
    }
    this.scheduled.push({ kind, model: options.model, remaining: options.times ?? Infinity });
  }

  /**
   * The fault for this request: the `x-emulator-fault` header ("none" disables faults), then faults
   * scheduled through the API, then the configured per-model probabilities.
   */
  decideFault(req: IncomingMessage, modelName: string | undefined): FaultKind | undefined {
    const h = header(req, FAULT_HEADER)?.trim().toLowerCase();
    if (h === 'none' || h === 'off') return undefined;
    if (isFaultKind(h)) return h;
    const i = this.scheduled.findIndex((f) => f.model === undefined || f.model === modelName);
    const f = this.scheduled[i];
    if (f) {
      f.remaining--;
      if (f.remaining <= 0) this.scheduled.splice(i, 1);
      return f.kind;
    }
    const model = modelName ? this.findModel(modelName) : undefined;
    const rates = model?.faults ?? this.config.defaults.faults;
    for (const [kind, p] of Object.entries(rates)) {
      if (p !== undefined && p > 0 && this.faultRng.next() < p && isFaultKind(kind)) return kind;
    }
    return undefined;
  }
}
