import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ProviderView } from '@margin/contracts';
import { MinRole, OperatorOnly } from '@margin/identity';
import { CreateProviderDto, ProviderDto, UpdateProviderDto } from './providers.dto';
import { ProvidersService } from './providers.service';

@ApiTags('router')
@ApiBearerAuth()
@ApiSecurity('api-key')
@MinRole('admin')
@Controller('router/providers')
export class ProvidersController {
  constructor(private readonly providers: ProvidersService) {}

  @Get()
  // the installation's hosts, their health and errors: the operator's business, not any tenant's
  @OperatorOnly()
  @ApiOperation({ summary: 'Each provider with its health, models and whether it is the LLM emulator (operator)' })
  @ApiOkResponse({ type: ProviderDto, isArray: true })
  list(): Promise<ProviderView[]> {
    return this.providers.list();
  }

  @Get(':id')
  @OperatorOnly()
  @ApiOkResponse({ type: ProviderDto })
  get(@Param('id') id: string): Promise<ProviderView> {
    return this.providers.view(id);
  }

  @Post()
  @OperatorOnly()
  @ApiOperation({ summary: 'Add a provider (e.g. an OpenAI-compatible host); its key is stored encrypted' })
  @ApiCreatedResponse({ type: ProviderDto })
  create(@Body() body: CreateProviderDto): Promise<ProviderView> {
    return this.providers.create(body);
  }

  @Patch(':id')
  @OperatorOnly()
  @ApiOperation({ summary: 'Disable, rename, re-point or re-key a provider; takes effect in every process at once' })
  @ApiOkResponse({ type: ProviderDto })
  update(@Param('id') id: string, @Body() body: UpdateProviderDto): Promise<ProviderView> {
    return this.providers.update(id, body);
  }
}
