import { BadRequestException, Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { ProfileView } from '@margin/contracts';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import { CreateProfileDto, ProfileDto, ProfileVersionQueryDto } from './dto/profile.dto';
import { InvalidProfileError } from './profile-validation';
import { ProfilesService, toProfileView } from './profiles.service';

@ApiTags('profiles')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get()
  @ApiOperation({ summary: "Built-in profiles and the tenant's own, each at its latest version" })
  @ApiOkResponse({ type: ProfileDto, isArray: true })
  list(@CurrentPrincipal() principal: Principal): Promise<ProfileView[]> {
    return this.profiles.list(principal.tenantId);
  }

  @Get(':key')
  @ApiOperation({ summary: 'One profile, at its latest version or ?version=' })
  @ApiOkResponse({ type: ProfileDto })
  @ApiNotFoundResponse()
  async get(@CurrentPrincipal() principal: Principal, @Param('key') key: string, @Query() query: ProfileVersionQueryDto): Promise<ProfileView> {
    return toProfileView(await this.profiles.resolve(principal.tenantId, key, query.version));
  }

  @Post()
  @MinRole('admin')
  @ApiOperation({ summary: 'Create a tenant profile, or the next version of one (results are cached per version)' })
  @ApiCreatedResponse({ type: ProfileDto })
  @ApiBadRequestResponse({ description: 'Invalid schema, template, step names or quality gate; the messages name each problem' })
  @ApiConflictResponse({ description: 'The key is a built-in profile' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateProfileDto): Promise<ProfileView> {
    try {
      return await this.profiles.create(principal.tenantId, body);
    } catch (err) {
      // One message per problem, in the shape class-validator's 400s have.
      if (err instanceof InvalidProfileError) throw new BadRequestException(err.problems);
      throw err;
    }
  }
}
