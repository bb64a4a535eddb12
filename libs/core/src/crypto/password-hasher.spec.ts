import { apiKeyPrefix, generateApiKey, hashApiKey } from './api-key.format';
import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher({ N: 1024, r: 8, p: 1 });

  it('verifies the right password and nothing else', async () => {
    const stored = await hasher.hash('correct horse');
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await hasher.verify('correct horse', stored)).toBe(true);
    expect(await hasher.verify('correct horsE', stored)).toBe(false);
    expect(await hasher.verify('correct horse', 'garbage')).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'));
  });

  it('verifies hashes made with other parameters (they travel with the hash)', async () => {
    const strong = await new PasswordHasher({ N: 2048, r: 8, p: 1 }).hash('pw');
    expect(await hasher.verify('pw', strong)).toBe(true);
  });
});

describe('API key format', () => {
  it('generates distinct keys whose prefix is recoverable and whose hash is stable', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).not.toBe(b.key);
    expect(apiKeyPrefix(a.key)).toBe(a.prefix);
    expect(hashApiKey(a.key)).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects malformed keys', () => {
    expect(apiKeyPrefix('mk_abc')).toBeNull();
    expect(apiKeyPrefix(`xx_ABCDEFGH_${'a'.repeat(43)}`)).toBeNull();
  });
});
