import { createHash, randomBytes } from 'node:crypto';

// mk_<8 chars public prefix>_<43 chars secret>. The prefix identifies the key in lists and logs; only a
// SHA-256 of the whole key is stored. A high-entropy secret needs no slow hash.
const KEY_PATTERN = /^(mk_[A-Za-z0-9]{8})_[A-Za-z0-9_-]{43}$/;

function base62(bytes: number, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const raw = randomBytes(bytes);
  let out = '';
  for (const b of raw) {
    if (out.length === length) break;
    if (b < 248) out += alphabet[b % 62]; // 248 = 4 * 62: rejection keeps the draw uniform
  }
  return out.length === length ? out : base62(bytes, length);
}

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = `mk_${base62(16, 8)}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The public prefix of a well-formed key, or null. */
export function apiKeyPrefix(key: string): string | null {
  const match = KEY_PATTERN.exec(key);
  return match ? match[1] : null;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('mk_');
}
