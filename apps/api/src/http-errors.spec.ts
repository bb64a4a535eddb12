import type { ArgumentsHost } from '@nestjs/common';
import { NotFoundException } from '@nestjs/common';
import { ApiExceptionFilter } from './http-errors';

function host(path: string) {
  const res = { headersSent: false, status: jest.fn(), json: jest.fn(), setHeader: jest.fn(), end: jest.fn(), write: jest.fn() };
  res.status.mockReturnValue(res);
  const h = {
    getType: () => 'http',
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({ method: 'POST', path }) }),
  } as unknown as ArgumentsHost;
  return { h, res };
}

// What body-parser hands the error middleware for a corrupt gzip body (http-errors: status + expose).
const corruptGzip = Object.assign(new Error('incorrect header check'), { status: 400, statusCode: 400, expose: true, code: 'Z_DATA_ERROR' });
const unknownEncoding = Object.assign(new Error('unsupported content encoding "zstd"'), { status: 415, expose: true });

describe('ApiExceptionFilter', () => {
  it('answers body-parser errors under /v1 in OpenAI’s shape, with their own status', () => {
    const { h, res } = host('/v1/chat/completions');
    new ApiExceptionFilter().catch(corruptGzip, h);
    expect(res.status).toHaveBeenCalledWith(400);
    expect(res.json).toHaveBeenCalledWith({ error: { message: 'incorrect header check', type: 'invalid_request_error', param: null, code: null } });
    const other = host('/v1/chat/completions');
    new ApiExceptionFilter().catch(unknownEncoding, other.h);
    expect(other.res.status).toHaveBeenCalledWith(415);
  });

  it('answers unknown /v1 routes in OpenAI’s shape too', () => {
    const { h, res } = host('/v1/nope');
    new ApiExceptionFilter().catch(new NotFoundException('Cannot POST /v1/nope'), h);
    expect(res.json).toHaveBeenCalledWith({ error: { message: 'Cannot POST /v1/nope', type: 'not_found_error', param: null, code: null } });
  });

  it('keeps Nest’s shape everywhere else (a /v1lookalike included)', () => {
    for (const path of ['/api/v1/auth/login', '/v1x/models']) {
      const { h, res } = host(path);
      new ApiExceptionFilter().catch(corruptGzip, h);
      expect(res.json).toHaveBeenCalledWith({ statusCode: 400, error: 'Bad Request', message: 'incorrect header check' });
    }
  });
});
