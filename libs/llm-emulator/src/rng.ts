import { createHash } from 'node:crypto';

/** A small deterministic pseudo-random generator (sfc32) seeded from a string. */
export interface Rng {
  /** float in [0, 1) */
  next(): number;
  /** integer in [min, max] (inclusive) */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  bool(probability?: number): boolean;
  /** An independent generator derived from this one's seed and a label. */
  fork(label: string): Rng;
  /** Lowercase hex string of the given length. */
  hex(length: number): string;
}

export function hashString(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function createRng(seed: string): Rng {
  const digest = createHash('sha256').update(seed).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  const nextU32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  // warm up
  for (let i = 0; i < 12; i++) nextU32();
  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    int: (min, max) => {
      if (max <= min) return min;
      return min + Math.floor(rng.next() * (max - min + 1));
    },
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from empty list');
      return items[Math.floor(rng.next() * items.length)] as T;
    },
    bool: (probability = 0.5) => rng.next() < probability,
    fork: (label) => createRng(`${seed}\u0000${label}`),
    hex: (length) => {
      let out = '';
      while (out.length < length) out += nextU32().toString(16).padStart(8, '0');
      return out.slice(0, length);
    },
  };
  return rng;
}
