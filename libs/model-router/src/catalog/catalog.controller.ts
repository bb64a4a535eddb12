import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ModelView } from '@margin/contracts';
import { MinRole, OperatorOnly } from '@margin/identity';
import { ModelDto, RegisterModelDto, UpdateModelDto } from './catalog.dto';
import { CatalogService } from './catalog.service';

@ApiTags('router')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('router/models')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get()
  @ApiOperation({ summary: 'The model catalog: tier, context window, capabilities, price in force and price history' })
  @ApiOkResponse({ type: ModelDto, isArray: true })
  list(): ModelView[] {
    return this.catalog.list();
  }

  @Post()
  @HttpCode(201)
  @MinRole('admin')
  @OperatorOnly()
  @ApiOperation({
    summary: 'Register a fine-tuned model (an OpenAI ft: id or an Ollama model name) with its base: capabilities, tier, limits and price inherited',
  })
  @ApiOkResponse({ type: ModelDto })
  register(@Body() body: RegisterModelDto): Promise<ModelView> {
    return this.catalog.registerFineTuned(body);
  }

  @Get(':id')
  @ApiParam({ name: 'id', description: 'URL-encoded `<provider>/<model>`, e.g. openai%2Fgpt-4o-mini' })
  @ApiOkResponse({ type: ModelDto })
  get(@Param('id') id: string): ModelView {
    return this.catalog.get(id);
  }

  @Put(':id')
  @MinRole('admin')
  @OperatorOnly()
  @ApiParam({ name: 'id', description: 'URL-encoded `<provider>/<model>`' })
  @ApiOperation({ summary: 'Change tier, enabled, context window, GPU rate, or add a price (from now or a future date)' })
  @ApiOkResponse({ type: ModelDto })
  update(@Param('id') id: string, @Body() body: UpdateModelDto): Promise<ModelView> {
    return this.catalog.update(id, body);
  }
}
