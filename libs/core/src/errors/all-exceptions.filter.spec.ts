import { BadRequestException, Logger } from '@nestjs/common';
import type { ArgumentsHost } from '@nestjs/common';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { NotFoundError, TooManyRequestsError } from './domain-error';

function host() {
  const res = { headersSent: false, status: jest.fn(), json: jest.fn(), setHeader: jest.fn(), end: jest.fn() };
  res.status.mockReturnValue(res);
  const h = {
    getType: () => 'http',
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({ method: 'GET', path: '/x' }) }),
  } as unknown as ArgumentsHost;
  return { h, res };
}

describe('AllExceptionsFilter', () => {
  it('keeps Nest’s validation shape', () => {
    const { h, res } = host();
    new AllExceptionsFilter().catch(new BadRequestException(['email must be an email']), h);
    expect(res.status).toHaveBeenCalledWith(400);
    expect(res.json).toHaveBeenCalledWith({ statusCode: 400, error: 'Bad Request', message: ['email must be an email'] });
  });

  it('maps domain errors to their status, with Retry-After when given', () => {
    const { h, res } = host();
    new AllExceptionsFilter().catch(new TooManyRequestsError('slow down', 30), h);
    expect(res.setHeader).toHaveBeenCalledWith('Retry-After', '30');
    expect(res.json).toHaveBeenCalledWith({ statusCode: 429, error: 'Too Many Requests', message: 'slow down', code: 'too_many_requests' });
    const other = host();
    new AllExceptionsFilter().catch(new NotFoundError('Job'), other.h);
    expect(other.res.json).toHaveBeenCalledWith({ statusCode: 404, error: 'Not Found', message: 'Job not found', code: 'not_found' });
  });

  it('hides unexpected errors behind a 500 whose errorId is logged with the cause', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { h, res } = host();
    new AllExceptionsFilter().catch(new Error('db password is hunter2'), h);
    const body = res.json.mock.calls[0][0];
    expect(res.status).toHaveBeenCalledWith(500);
    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
      errorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(logged.mock.calls[0][0]).toMatchObject({ errorId: body.errorId });
    logged.mockRestore();
  });
});
