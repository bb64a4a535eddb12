import type { AppConfig } from '../config/app-config';
import { SecretBox, SecretDecryptionError } from './secret-box';

const box = (fill: number) => new SecretBox({ encryptionKey: Buffer.alloc(32, fill) } as AppConfig);

describe('SecretBox', () => {
  it('round-trips, never stores the plaintext, and uses a fresh IV each time', () => {
    const a = box(1).encrypt('sk-live-abc');
    const b = box(1).encrypt('sk-live-abc');
    expect(a).not.toBe(b);
    expect(a).not.toContain('sk-live-abc');
    expect(box(1).decrypt(a)).toBe('sk-live-abc');
  });

  it('refuses a value sealed under another key or tampered with', () => {
    const sealed = box(1).encrypt('secret');
    expect(() => box(2).decrypt(sealed)).toThrow(SecretDecryptionError);
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => box(1).decrypt(`v1:${raw.toString('base64')}`)).toThrow(SecretDecryptionError);
  });
});
