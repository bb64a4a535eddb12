import { BadRequestException } from '@nestjs/common';
import { IsEmail, IsObject, IsOptional, IsString } from 'class-validator';
import { SafeValidationPipe } from './safe-validation-pipe';

class Dto {
  @IsEmail() email!: string;
  @IsOptional() @IsObject() metadata?: Record<string, unknown>;
  @IsOptional() @IsString() name?: string;
}

const body = { type: 'body' as const, metatype: Dto };

async function problems(pipe: SafeValidationPipe, value: unknown, metadata: Parameters<SafeValidationPipe['transform']>[1] = body): Promise<unknown> {
  try {
    await pipe.transform(value, metadata);
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestException);
    return (err as BadRequestException).getResponse();
  }
  throw new Error('expected a 400');
}

describe('SafeValidationPipe', () => {
  const pipe = new SafeValidationPipe();

  it('validates like the global ValidationPipe', async () => {
    await expect(pipe.transform({ email: 'a@b.co' }, body)).resolves.toBeInstanceOf(Dto);
    expect(await problems(pipe, { email: 'nope', extra: 1 })).toMatchObject({
      message: expect.arrayContaining(['property extra should not exist', 'email must be an email']),
    });
  });

  it('refuses what would make class-transformer or validator.js throw, naming the field (was a 500)', async () => {
    // {"constructor": {...}} made class-transformer call `new value.constructor()`: TypeError
    expect(await problems(pipe, { email: 'a@b.co', metadata: { constructor: { prototype: {} } } })).toMatchObject({
      message: ['metadata.constructor is not an allowed property name'],
    });
    // a lone surrogate made isEmail's encodeURI throw URIError
    expect(await problems(pipe, { email: '\udc00@b.co' })).toMatchObject({ message: ['email contains an unpaired UTF-16 surrogate'] });
    expect(await problems(pipe, { email: 'a@b.co', name: 'x\u0000' })).toMatchObject({ message: ['name contains a NUL character'] });
  });

  it('checks query and path parameters too', async () => {
    expect(await problems(pipe, 'a\u0000', { type: 'param', data: 'key', metatype: String })).toMatchObject({
      message: ['path parameter key contains a NUL character'],
    });
    expect(await problems(pipe, { status: ['a', 'b\u0000'] }, { type: 'query', metatype: Object })).toMatchObject({
      message: ['status.1 contains a NUL character'],
    });
  });

  it('turns a validator that throws into a 400 for that input', async () => {
    class Throws {
      @IsString({
        message: () => {
          throw new RangeError('validator bug');
        },
      })
      x!: string;
    }
    expect(await problems(pipe, { x: 1 }, { type: 'body', metatype: Throws })).toMatchObject({
      message: ['request body could not be validated: validator bug'],
    });
  });
});
