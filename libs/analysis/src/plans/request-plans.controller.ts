import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ApprovePlanResponse, PlanAccuracyView, RequestPlanView } from '@margin/contracts';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import { CreatePlanDto, ListPlansQuery, PatchPlanDto } from './request-plans.dto';
import { RequestPlansService } from './request-plans.service';

/** Request plans (the subscription plans live at GET /plans and PUT /plans/:plan). */
@ApiTags('plans')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('plans')
export class RequestPlansController {
  constructor(private readonly plans: RequestPlansService) {}

  @Post()
  @MinRole('member')
  @ApiOperation({ summary: 'Plan a request (a sentence or structured): steps, models and why, cost (expected, worst case), time, questions' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreatePlanDto): Promise<RequestPlanView> {
    return this.plans.create(principal, body);
  }

  @Get('requests')
  @ApiOperation({ summary: 'The tenant’s recent request plans, newest first' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListPlansQuery): Promise<RequestPlanView[]> {
    return this.plans.list(principal, query.limit ?? 20);
  }

  @Get('accuracy')
  @ApiOperation({ summary: 'How close finished plans’ estimates came: median relative error of cost and of time' })
  accuracy(@CurrentPrincipal() principal: Principal): Promise<PlanAccuracyView> {
    return this.plans.accuracy(principal);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One request plan (with its actual cost and time once its job is finished)' })
  get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<RequestPlanView> {
    return this.plans.get(principal, id);
  }

  @Patch(':id')
  @MinRole('member')
  @ApiOperation({ summary: 'Change the budget, the deadline or a step’s model, or answer questions: re-estimated' })
  patch(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: PatchPlanDto): Promise<RequestPlanView> {
    return this.plans.patch(principal, id, body);
  }

  @Post(':id/approve')
  @MinRole('member')
  @ApiOperation({ summary: 'Run the plan as a job (published where it says); 409 while it has questions or is over its budget' })
  approve(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<ApprovePlanResponse> {
    return this.plans.approve(principal, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @MinRole('member')
  @ApiOperation({ summary: 'Drop a plan that has not run' })
  cancel(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<RequestPlanView> {
    return this.plans.cancel(principal, id);
  }
}
