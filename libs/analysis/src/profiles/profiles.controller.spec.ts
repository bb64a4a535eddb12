import { BadRequestException, ValidationPipe } from '@nestjs/common';
import type { Principal } from '@margin/identity';
import { strictMock } from '@margin/testing';
import { CreateProfileDto } from './dto/profile.dto';
import { InvalidProfileError } from './profile-validation';
import { ProfilesController } from './profiles.controller';
import type { ProfilesService } from './profiles.service';

const admin: Principal = { tenantId: 't1', role: 'admin', userId: 'u1', apiKeyId: null, via: 'jwt', operator: false };
// The pipe main.ts installs globally.
const pipe = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
const body = {
  key: 'ticket-triage',
  name: 'Ticket triage',
  inputSchema: { type: 'object', properties: { subject: { type: 'string' } }, required: ['subject'] },
  steps: [
    {
      name: 'classify',
      operation: 'analyze',
      complexity: 'simple',
      prompt: '{{input.subject}}',
      outputSchema: { type: 'object', properties: { category: { type: 'string', enum: ['a', 'b'] } } },
    },
  ],
  qualityGate: undefined,
};
const transform = (value: unknown) => pipe.transform(value, { type: 'body', metatype: CreateProfileDto });

describe('ProfilesController', () => {
  it('turns an invalid profile into a 400 with one message per problem', async () => {
    const service = strictMock<ProfilesService>({
      create: async () => Promise.reject(new InvalidProfileError(['steps.1.prompt refers to steps.draft, which is not an earlier step', 'other'])),
    });
    const err = await new ProfilesController(service).create(admin, body as CreateProfileDto).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestException);
    expect((err as BadRequestException).getResponse()).toMatchObject({
      statusCode: 400,
      message: ['steps.1.prompt refers to steps.draft, which is not an earlier step', 'other'],
    });
    expect(service.create).toHaveBeenCalledWith('t1', body);
  });

  it('the request DTO keeps the JSON schemas whole and checks each step', async () => {
    const dto = (await transform(body)) as CreateProfileDto;
    expect(dto.inputSchema).toEqual(body.inputSchema);
    expect(dto.steps[0]?.outputSchema).toEqual(body.steps[0]?.outputSchema);
    const bad = await transform({ ...body, steps: [{ ...body.steps[0], name: '1st', complexity: 'extreme', extra: 1 }] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestException);
    expect(((bad as BadRequestException).getResponse() as { message: string[] }).message).toEqual(
      expect.arrayContaining([
        'steps.0.property extra should not exist',
        'steps.0.name must start with a letter and use only letters, digits, "_" and "-" (at most 64)',
        expect.stringMatching(/^steps.0.complexity must be one of/),
      ]),
    );
    const noSteps = await transform({ ...body, key: 'Bad Key', steps: [] }).catch((e: unknown) => e);
    expect(((noSteps as BadRequestException).getResponse() as { message: string[] }).message).toEqual(
      expect.arrayContaining([expect.stringMatching(/^key must be lowercase/), 'steps must contain at least 1 elements']),
    );
  });
});
