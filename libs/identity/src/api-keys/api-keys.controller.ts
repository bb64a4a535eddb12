import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ApiKeyView, CreatedApiKey } from '@margin/contracts';
import { CurrentPrincipal, MinRole } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @MinRole('admin')
  @ApiOperation({ summary: 'Create a key; the whole key is in this response only' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto): Promise<CreatedApiKey> {
    return this.keys.create(principal, body);
  }

  @Get()
  @ApiOperation({ summary: "The tenant's keys (prefix only), revoked ones included" })
  @ApiOkResponse({ type: ApiKeyDto, isArray: true })
  list(@CurrentPrincipal() principal: Principal): Promise<ApiKeyView[]> {
    return this.keys.list(principal);
  }

  @Get(':id')
  @ApiOkResponse({ type: ApiKeyDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<ApiKeyView> {
    return this.keys.get(principal, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @MinRole('admin')
  @ApiOperation({ summary: 'Revoke a key: it fails with 401 from the next request on' })
  @ApiNoContentResponse()
  revoke(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    return this.keys.revoke(principal, id);
  }
}
