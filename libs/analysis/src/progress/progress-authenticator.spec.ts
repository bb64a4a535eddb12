import { strictMock } from '@margin/testing';
import type { AuthService, Principal } from '@margin/identity';
import { AuthServiceAuthenticator } from './auth-service.authenticator';
import { credentialsFromHandshake } from './progress-authenticator';

describe('credentialsFromHandshake', () => {
  it('reads auth.token and auth.apiKey as the contract says', () => {
    expect(credentialsFromHandshake({ auth: { token: 'jwt' }, headers: {} })).toEqual({ token: 'jwt' });
    expect(credentialsFromHandshake({ auth: { apiKey: 'mk_x' }, headers: {} })).toEqual({ apiKey: 'mk_x' });
  });

  it('falls back to the Authorization bearer and X-API-Key headers', () => {
    expect(credentialsFromHandshake({ auth: {}, headers: { authorization: 'Bearer jwt' } })).toEqual({ token: 'jwt' });
    expect(credentialsFromHandshake({ auth: {}, headers: { authorization: 'bearer  jwt ' } })).toEqual({ token: 'jwt' });
    expect(credentialsFromHandshake({ auth: {}, headers: { 'x-api-key': 'mk_x' } })).toEqual({ apiKey: 'mk_x' });
    expect(credentialsFromHandshake({ auth: { token: 'own' }, headers: { authorization: 'Bearer header' } })).toEqual({ token: 'own' });
  });

  it('ignores empty, non-string and non-bearer values', () => {
    expect(credentialsFromHandshake({ auth: { token: '', apiKey: 42 }, headers: { authorization: 'Basic abc' } })).toEqual({});
    expect(credentialsFromHandshake({ auth: { token: { $ne: null } }, headers: { 'x-api-key': ['a', 'b'] } })).toEqual({});
    expect(credentialsFromHandshake({})).toEqual({});
  });
});

describe('AuthServiceAuthenticator', () => {
  const principal = { tenantId: 't1' } as Principal;

  it('checks a JWT as an access token and an mk_ key, however sent, as an API key', async () => {
    const auth = strictMock<AuthService>({
      principalFromAccessToken: async (t) => (t === 'good-jwt' ? principal : null),
      principalFromApiKey: async (k) => (k === 'mk_good' ? principal : null),
    });
    const authenticator = new AuthServiceAuthenticator(auth);

    expect(await authenticator.authenticate({ token: 'good-jwt' })).toBe(principal);
    expect(await authenticator.authenticate({ token: 'mk_good' })).toBe(principal);
    expect(await authenticator.authenticate({ apiKey: 'mk_good' })).toBe(principal);
    expect(await authenticator.authenticate({ token: 'forged' })).toBeNull();
    expect(await authenticator.authenticate({ apiKey: 'mk_revoked' })).toBeNull();
    expect(auth.principalFromAccessToken.mock.calls).toEqual([['good-jwt'], ['forged']]);
    expect(auth.principalFromApiKey.mock.calls).toEqual([['mk_good'], ['mk_good'], ['mk_revoked']]);
  });

  it('refuses a handshake without credentials without asking AuthService', async () => {
    expect(await new AuthServiceAuthenticator(strictMock<AuthService>()).authenticate({})).toBeNull();
  });
});
