import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { EndpointTestResult, EndpointView } from '@margin/contracts';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import { CreateEndpointDto, EndpointDto, EndpointTestResultDto, UpdateEndpointDto } from './endpoints.dto';
import { EndpointsService } from './endpoints.service';

@ApiTags('publishing')
@ApiBearerAuth()
@ApiSecurity('api-key')
// endpoints hold the tenant's credentials for other platforms: admins manage them
@MinRole('admin')
@Controller('endpoints')
export class EndpointsController {
  constructor(private readonly endpoints: EndpointsService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's publishing endpoints (credentials never returned)" })
  @ApiOkResponse({ type: EndpointDto, isArray: true })
  list(@CurrentPrincipal() principal: Principal): Promise<EndpointView[]> {
    return this.endpoints.list(principal.tenantId);
  }

  @Post()
  @ApiOperation({ summary: 'Add an endpoint (blog, webhook, …); credentials are stored encrypted, URLs pass the outbound policy' })
  @ApiCreatedResponse({ type: EndpointDto })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateEndpointDto): Promise<EndpointView> {
    return this.endpoints.create(principal.tenantId, body);
  }

  @Get(':id')
  @ApiOkResponse({ type: EndpointDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<EndpointView> {
    return this.endpoints.get(principal.tenantId, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, re-point, re-key (a new webhook secret signs next to the old one for an overlap window), enable or disable' })
  @ApiOkResponse({ type: EndpointDto })
  update(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateEndpointDto): Promise<EndpointView> {
    return this.endpoints.update(principal.tenantId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint and its deliveries (remote copies stay where they are)' })
  @ApiNoContentResponse()
  remove(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    return this.endpoints.remove(principal.tenantId, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check reachability and credentials; says exactly what failed' })
  @ApiOkResponse({ type: EndpointTestResultDto })
  test(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<EndpointTestResult> {
    return this.endpoints.test(principal.tenantId, id);
  }
}
