import { ConfigValidationError, loadConfig } from './app-config';

const valid = {
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
  JWT_SECRET: 'x'.repeat(32),
  ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const c = loadConfig(valid);
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      redisUrl: 'redis://127.0.0.1:6379',
      ollamaBaseUrl: 'http://127.0.0.1:11434',
      workerConcurrency: 4,
      allowSignup: false,
    });
    expect(c.encryptionKey).toHaveLength(32);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('confirms sign-ups by mail when it can send mail, unless told not to; never without SMTP', () => {
    expect(loadConfig(valid)).toMatchObject({ signupConfirmEmail: false, smtpUrl: undefined, publicUrl: 'http://127.0.0.1:3000' });
    expect(loadConfig({ ...valid, SMTP_URL: 'smtp://u:p@mail.example:587', PUBLIC_URL: 'https://m.example/' })).toMatchObject({
      signupConfirmEmail: true,
      publicUrl: 'https://m.example',
    });
    expect(loadConfig({ ...valid, SMTP_URL: 'smtp://mail.example', SIGNUP_CONFIRM_EMAIL: 'false' }).signupConfirmEmail).toBe(false);
    expect(problems({ ...valid, SIGNUP_CONFIRM_EMAIL: 'true' })).toEqual(['SIGNUP_CONFIRM_EMAIL=true needs SMTP_URL (the confirmation links are mailed)']);
    expect(problems({ ...valid, SMTP_URL: 'http://mail.example' })).toEqual(['SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465']);
  });

  it('parses numbers and booleans from strings', () => {
    const c = loadConfig({ ...valid, PORT: '8080', ALLOW_SIGNUP: 'true', WORKER_CONCURRENCY: '16' });
    expect(c).toMatchObject({ port: 8080, allowSignup: true, workerConcurrency: 16 });
  });

  it('names the variable and the fix for an encryption key of the wrong size', () => {
    expect(problems({ ...valid, ENCRYPTION_KEY: Buffer.alloc(31).toString('base64') })).toEqual([
      'ENCRYPTION_KEY must be 32 random bytes encoded as base64 (generate one with: openssl rand -base64 32)',
    ]);
    expect(problems({ ...valid, ENCRYPTION_KEY: 'not base64 at all!' })).toHaveLength(1);
  });

  it('reports every problem at once', () => {
    const p = problems({ JWT_SECRET: 'short', ENCRYPTION_KEY: valid.ENCRYPTION_KEY, ALLOW_SIGNUP: 'maybe', OPENAI_BASE_URL: 'not a url' });
    expect(p).toEqual(
      expect.arrayContaining([
        'DATABASE_URL must be a postgres:// URL',
        'JWT_SECRET must be at least 32 characters',
        'ALLOW_SIGNUP must be a boolean value',
        'OPENAI_BASE_URL must be a URL address',
      ]),
    );
  });

  it('lower-cases the admin email', () => {
    expect(loadConfig({ ...valid, ADMIN_EMAIL: 'Boss@Example.COM' }).adminEmail).toBe('boss@example.com');
  });

  it('reads the savings counterfactual: one model for all, or per operation with * for the rest; a bad value is named', () => {
    expect(loadConfig(valid).savingsCounterfactual).toEqual({ byOperation: {} });
    expect(loadConfig({ ...valid, SAVINGS_COUNTERFACTUAL_MODEL: 'openai/gpt-4o' }).savingsCounterfactual).toEqual({
      default: 'openai/gpt-4o',
      byOperation: {},
    });
    expect(
      loadConfig({ ...valid, SAVINGS_COUNTERFACTUAL_MODEL: 'analyze=anthropic/claude-sonnet-4-5, draft=openai/gpt-4o,*=openai/gpt-4.1-mini' })
        .savingsCounterfactual,
    ).toEqual({ default: 'openai/gpt-4.1-mini', byOperation: { analyze: 'anthropic/claude-sonnet-4-5', draft: 'openai/gpt-4o' } });
    expect(problems({ ...valid, SAVINGS_COUNTERFACTUAL_MODEL: 'analyze=, oops' })).toEqual([
      expect.stringMatching(/^SAVINGS_COUNTERFACTUAL_MODEL must be a model id/),
    ]);
  });
});
