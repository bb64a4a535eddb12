import { createHmac } from 'node:crypto';
import { signatureHeader, signingSecrets, verifySignature } from './webhook-signature';

describe('webhook signatures', () => {
  const body = JSON.stringify({ event: 'post.published', deliveryId: 'd1' });
  const now = new Date('2026-12-02T10:00:00Z');
  const t = Math.floor(now.getTime() / 1000);

  it('signs "t.body" with HMAC-SHA256, hex, as t=…,v1=…', () => {
    const expected = createHmac('sha256', 's3cret').update(`${t}.${body}`).digest('hex');
    expect(signatureHeader(['s3cret'], t, body)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies with the right secret only, and not for another body', () => {
    const header = signatureHeader(['s3cret'], t, body);
    expect(verifySignature('s3cret', header, body, now)).toBe(true);
    expect(verifySignature('other', header, body, now)).toBe(false);
    expect(verifySignature('s3cret', header, `${body} `, now)).toBe(false);
  });

  it('refuses an old timestamp (replay)', () => {
    const header = signatureHeader(['s3cret'], t - 3600, body);
    expect(verifySignature('s3cret', header, body, now)).toBe(false);
  });

  it('signs with both secrets during the overlap window, then with the new one only', () => {
    const creds = { secret: 'new', previousSecret: 'old', previousSecretUntil: new Date(now.getTime() + 60_000).toISOString() };
    const during = signatureHeader(signingSecrets(creds, now), t, body);
    expect(during.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
    expect(verifySignature('old', during, body, now)).toBe(true);
    expect(verifySignature('new', during, body, now)).toBe(true);
    const later = new Date(now.getTime() + 120_000);
    expect(signingSecrets(creds, later)).toEqual(['new']);
  });
});
