import type { ArgumentsHost } from '@nestjs/common';
import { BudgetExceededError } from '@margin/cost-tracking';
import { IdempotencyInFlightError, IdempotencyKeyReusedError } from './idempotency.interceptor';
import { InvalidParamError } from './gateway-support';
import { NoCandidateError } from '../routing/execution.errors';
import { OpenAiErrorFilter } from './openai-error.filter';

function host() {
  const headers: Record<string, string> = {};
  const res = {
    headersSent: false,
    status: jest.fn(),
    json: jest.fn(),
    setHeader: jest.fn((k: string, v: string) => (headers[k.toLowerCase()] = v)),
    getHeader: jest.fn((k: string) => headers[k.toLowerCase()]),
    end: jest.fn(),
    write: jest.fn(),
  };
  res.status.mockReturnValue(res);
  const h = { getType: () => 'http', switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({ path: '/v1/x' }) }) } as unknown as ArgumentsHost;
  return { h, res, headers };
}

describe('OpenAiErrorFilter', () => {
  it('names the field at fault as param, with the code, and says a retry will not help', () => {
    const { h, res, headers } = host();
    new OpenAiErrorFilter().catch(new InvalidParamError('input[2]', 'input[2] must be a non-empty string'), h);
    expect(res.status).toHaveBeenCalledWith(400);
    expect(res.json).toHaveBeenCalledWith({
      error: { message: 'input[2] must be a non-empty string', type: 'invalid_request_error', param: 'input[2]', code: 'invalid_value' },
    });
    expect(headers['x-should-retry']).toBe('false');
  });

  it('a reused Idempotency-Key is a 409 not to retry; one still in flight is a 409 to retry after 1 s', () => {
    const reused = host();
    new OpenAiErrorFilter().catch(new IdempotencyKeyReusedError(), reused.h);
    expect(reused.res.status).toHaveBeenCalledWith(409);
    expect(reused.headers['x-should-retry']).toBe('false');
    const inFlight = host();
    new OpenAiErrorFilter().catch(new IdempotencyInFlightError(), inFlight.h);
    expect(inFlight.headers).toMatchObject({ 'x-should-retry': 'true', 'retry-after': '1' });
    expect(inFlight.res.json).toHaveBeenCalledWith({ error: expect.objectContaining({ code: 'idempotency_request_in_progress', param: 'Idempotency-Key' }) });
  });

  it('429 and 503 always carry Retry-After: their own when known, else 1 s', () => {
    const budget = host();
    new OpenAiErrorFilter().catch(new BudgetExceededError('monthly tenant budget', 'spent', 3600), budget.h);
    expect(budget.headers).toMatchObject({ 'retry-after': '3600', 'x-should-retry': 'true' });
    const none = host();
    new OpenAiErrorFilter().catch(new NoCandidateError('nothing', []), none.h);
    expect(none.res.status).toHaveBeenCalledWith(503);
    expect(none.headers['retry-after']).toBe('1');
  });
});
