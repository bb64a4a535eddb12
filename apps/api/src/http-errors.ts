import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { AllExceptionsFilter, isOpenAiPath } from '@margin/core';
import { OpenAiErrorFilter } from '@margin/model-router';
import type { Request } from 'express';

/**
 * The one global filter: OpenAI's error shape under /v1 (unknown /v1 routes, body-parser errors, guards),
 * Nest's shape everywhere else. Errors raised inside the gateway's controller are caught by its own filter.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly api = new AllExceptionsFilter();
  private readonly openAi = new OpenAiErrorFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const path = host.getType() === 'http' ? (host.switchToHttp().getRequest<Request>().path ?? '') : '';
    if (isOpenAiPath(path)) this.openAi.catch(exception, host);
    else this.api.catch(exception, host);
  }
}
