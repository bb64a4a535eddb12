import { installFetchMock } from '../../testing/fetchMock';
import { ApiError, apiRequest } from './client';
import { getAccessToken, setAccessToken } from './tokenStore';

describe('apiRequest', () => {
  it('sends JSON with the bearer token and returns the parsed body', async () => {
    setAccessToken('jwt', 3600);
    const fetchMock = installFetchMock({ 'POST /api/v1/things': () => ({ status: 201, body: { id: 't1' } }) });

    await expect(apiRequest('/things', { method: 'POST', body: { name: 'x' } })).resolves.toEqual({ id: 't1' });
    expect(fetchMock.requests[0]).toMatchObject({
      headers: { Authorization: 'Bearer jwt', 'Content-Type': 'application/json' },
      body: { name: 'x' },
    });
  });

  it('resolves a 204 to undefined', async () => {
    installFetchMock({ 'DELETE /api/v1/things/1': () => ({ status: 204 }) });
    await expect(apiRequest<void>('/things/1', { method: 'DELETE' })).resolves.toBeUndefined();
  });

  it("throws an ApiError carrying the status and the server's messages", async () => {
    installFetchMock({
      'GET /api/v1/things': () => ({
        status: 403,
        body: { statusCode: 403, error: 'Forbidden', message: 'Requires role admin' },
      }),
    });
    const error = await apiRequest('/things').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, messages: ['Requires role admin'] });
  });

  it('falls back to the status when the body is not an API error', async () => {
    installFetchMock({ 'GET /api/v1/things': () => ({ status: 500 }) });
    await expect(apiRequest('/things')).rejects.toMatchObject({
      status: 500,
      messages: ['Request failed (500 Internal Server Error).'],
    });
  });

  it('ends the session on a 401, except for anonymous calls such as login', async () => {
    setAccessToken('jwt', 3600);
    installFetchMock({
      'POST /api/v1/auth/login': () => ({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message: 'Invalid email or password' } }),
      'GET /api/v1/things': () => ({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' } }),
    });

    await expect(apiRequest('/auth/login', { method: 'POST', body: {}, anonymous: true })).rejects.toMatchObject({ status: 401 });
    expect(getAccessToken()).toBe('jwt');

    await expect(apiRequest('/things')).rejects.toMatchObject({ status: 401 });
    expect(getAccessToken()).toBeNull();
  });

  it('reports an unreachable server', async () => {
    global.fetch = jest.fn(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(apiRequest('/things')).rejects.toMatchObject({ status: 0 });
  });
});
