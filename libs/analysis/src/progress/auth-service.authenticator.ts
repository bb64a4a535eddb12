import { Injectable } from '@nestjs/common';
import { looksLikeApiKey } from '@margin/core';
import { AuthService, type Principal } from '@margin/identity';
import { type HandshakeCredentials, ProgressAuthenticator } from './progress-authenticator';

/** The real wiring: the same checks as the REST API's JWT and API-key strategies. */
@Injectable()
export class AuthServiceAuthenticator extends ProgressAuthenticator {
  constructor(private readonly auth: AuthService) {
    super();
  }

  async authenticate({ token, apiKey }: HandshakeCredentials): Promise<Principal | null> {
    // A bearer token that is an API key is an API key, as on the REST API (clients that only speak bearer).
    if (token) return looksLikeApiKey(token) ? this.auth.principalFromApiKey(token) : this.auth.principalFromAccessToken(token);
    if (apiKey) return this.auth.principalFromApiKey(apiKey);
    return null;
  }
}
