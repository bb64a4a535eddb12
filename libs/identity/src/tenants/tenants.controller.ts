import { Body, Controller, Get, Param, ParseUUIDPipe, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TenantView } from '@margin/contracts';
import { TenantDto } from '../auth/auth.dto';
import { CurrentPrincipal, MinRole, OperatorOnly } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { UpdateTenantDto } from './tenants.dto';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@ApiBearerAuth()
@MinRole('owner')
// the guard refuses other tenants before anything is read; the service also requires a person's session
@OperatorOnly()
@Controller('tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @ApiOperation({ summary: "Every tenant (the operator tenant's owner only)" })
  @ApiOkResponse({ type: TenantDto, isArray: true })
  list(@CurrentPrincipal() principal: Principal): Promise<TenantView[]> {
    return this.tenants.list(principal);
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change a tenant's plan (the operator tenant's owner only)" })
  @ApiOkResponse({ type: TenantDto })
  update(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateTenantDto): Promise<TenantView> {
    return this.tenants.changePlan(principal, id, body.plan);
  }
}
