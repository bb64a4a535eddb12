// Sign-up that cannot tell who has an account (SIGNUP_CONFIRM_EMAIL): the same answer for any address, the
// account made from the link mailed to it. Mail goes through a real SMTP server listening in the test.
import { startTestApp, makeTenant, makeUser, type TestApp } from '@margin/testing';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

interface Received {
  to: string[];
  raw: string;
}

describe('sign-up with a confirmation mail', () => {
  let t: TestApp;
  let smtp: SMTPServer;
  const inbox: Received[] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          done();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    t = await startTestApp(createApp, {
      env: { ALLOW_SIGNUP: 'true', SMTP_URL: `smtp://127.0.0.1:${port}`, PUBLIC_URL: 'https://margin.example' },
      migrations: MIGRATIONS,
    });
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  const mailTo = async (address: string): Promise<Received> => {
    const until = Date.now() + 10_000;
    for (;;) {
      const mail = inbox.find((m) => m.to.includes(address));
      if (mail) return mail;
      if (Date.now() > until) throw new Error(`no mail to ${address}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  // quoted-printable soft line breaks and =3D, as mail bodies are encoded
  const body = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');

  it('answers a taken and a new address with the same 202; the taken one gets a notice, the new one a link that works once', async () => {
    const tenant = await makeTenant(t.dataSource);
    const existing = await makeUser(t.dataSource, tenant, { email: 'known@acme.test' });
    const taken = await t.http.post('/api/v1/auth/signup').send({ email: 'Known@acme.test', password: 'long-enough-pw', tenantName: 'Dup' }).expect(202);
    const fresh = await t.http.post('/api/v1/auth/signup').send({ email: 'new@acme.test', password: 'long-enough-pw', tenantName: 'Newco' }).expect(202);
    expect(taken.body).toEqual(fresh.body);
    expect(fresh.body).toEqual({ status: 'confirmation_sent', message: expect.any(String) });
    // nothing exists yet for the new address; the existing account is untouched
    expect(await t.dataSource.query(`SELECT 1 FROM users WHERE email = 'new@acme.test'`)).toHaveLength(0);
    await t.http.post('/api/v1/auth/login').send({ email: existing.email, password: existing.password }).expect(200);

    const notice = body((await mailTo('known@acme.test')).raw);
    expect(notice).toContain('already has one');
    expect(notice).toContain('https://margin.example/login');
    expect(notice).not.toMatch(/token=/);
    const link = body((await mailTo('new@acme.test')).raw);
    const token = /https:\/\/margin\.example\/signup\/confirm\?token=([A-Za-z0-9_-]+)/.exec(link)?.[1];
    expect(token).toBeDefined();
    // only a hash of it is stored
    const [row] = (await t.dataSource.query(`SELECT token_hash, password_hash FROM signup_requests WHERE email = 'new@acme.test'`)) as Array<{
      token_hash: string;
      password_hash: string;
    }>;
    expect(row?.token_hash).not.toContain(token);
    expect(row?.password_hash).not.toContain('long-enough-pw');

    const done = await t.http.post('/api/v1/auth/signup/confirm').send({ token }).expect(201);
    expect(done.body).toMatchObject({
      accessToken: expect.any(String),
      user: { email: 'new@acme.test', role: 'owner' },
      tenant: { name: 'Newco', plan: 'free' },
    });
    await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${done.body.accessToken}`).expect(200);
    await t.http.post('/api/v1/auth/login').send({ email: 'new@acme.test', password: 'long-enough-pw' }).expect(200);
    const again = await t.http.post('/api/v1/auth/signup/confirm').send({ token }).expect(400);
    expect(again.body).toMatchObject({ code: 'invalid_signup_token', message: [expect.stringMatching(/^token is invalid, used or expired/)] });
  });

  it('an expired link creates nothing; a malformed token is a 400 naming the field', async () => {
    await t.http.post('/api/v1/auth/signup').send({ email: 'slow@acme.test', password: 'long-enough-pw', tenantName: 'Slow' }).expect(202);
    const token = /token=([A-Za-z0-9_-]+)/.exec(body((await mailTo('slow@acme.test')).raw))?.[1];
    await t.dataSource.query(`UPDATE signup_requests SET expires_at = now() - interval '1 minute' WHERE email = 'slow@acme.test'`);
    await t.http.post('/api/v1/auth/signup/confirm').send({ token }).expect(400);
    expect(await t.dataSource.query(`SELECT 1 FROM users WHERE email = 'slow@acme.test'`)).toHaveLength(0);
    const bad = await t.http.post('/api/v1/auth/signup/confirm').send({ token: 'short' }).expect(400);
    expect(bad.body.message).toEqual(['token must be the token from the sign-up mail']);
    await t.http.post('/api/v1/auth/signup').send({ email: 'not-an-email', password: 'long-enough-pw', tenantName: 'X' }).expect(400);
  });
});
