import { ArgumentMetadata, BadRequestException, HttpException, Logger, ValidationPipe, type ValidationPipeOptions } from '@nestjs/common';
import { assertNotHostile } from './hostile-input';

const WHAT: Record<ArgumentMetadata['type'], string> = { body: 'request body', query: 'query', param: 'path parameter', custom: 'input' };

/**
 * Nest's ValidationPipe (whitelist, forbidNonWhitelisted, transform: the global rules), made safe for hostile
 * input: the value is first checked for what would break class-transformer, class-validator or PostgreSQL
 * (see hostile-input.ts) and refused with a 400 naming it; and should the validators still throw on some input
 * (a library bug, not a rule the value broke), the client gets a 400 instead of a 500: the input is the cause.
 */
export class SafeValidationPipe extends ValidationPipe {
  private readonly log = new Logger(SafeValidationPipe.name);

  constructor(options: ValidationPipeOptions = { whitelist: true, forbidNonWhitelisted: true, transform: true }) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom')
      assertNotHostile(value, metadata.type === 'param' && metadata.data ? `path parameter ${metadata.data}` : WHAT[metadata.type]);
    try {
      return await super.transform(value, metadata);
    } catch (err) {
      if (err instanceof HttpException) throw err;
      const what = metadata.data ? `${WHAT[metadata.type]} ${metadata.data}` : WHAT[metadata.type];
      this.log.warn({ err, what }, `validation threw on the ${what}; answered 400`);
      throw new BadRequestException([`${what} could not be validated: ${err instanceof Error ? err.message : String(err)}`]);
    }
  }
}
