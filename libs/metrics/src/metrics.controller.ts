import { Body, Controller, Get, Headers, HttpCode, Post, Put, Query, Req, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiConsumes, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { AlertView, KpiView, RevenueImportResult, RevenueView, TimeseriesView } from '@margin/contracts';
import { CurrentPrincipal, MinRole, Public, type Principal } from '@margin/identity';
import type { Request } from 'express';
import { AlertsService, type AlertRulesView } from './alerts/alerts.service';
import { KpiService } from './kpis/kpi.service';
import {
  AlertsQueryDto,
  CreateRevenueDto,
  PutAlertRulesDto,
  RangeQueryDto,
  RevenueImportQueryDto,
  RevenueListQueryDto,
  TimeseriesQueryDto,
} from './metrics.dto';
import { RevenueInputError, RevenueService } from './revenue/revenue.service';

const range = (q: RangeQueryDto) => ({ from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });

/** Routes whose raw JSON body the app keeps on `req.rawBody` (signature checks need the bytes as sent). */
export const RAW_BODY_ROUTES = ['integrations/stripe/webhook'];

@ApiTags('metrics')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
export class KpiController {
  constructor(
    private readonly kpis: KpiService,
    private readonly revenue: RevenueService,
    private readonly alerts: AlertsService,
  ) {}

  @Get('metrics/kpis')
  @ApiOperation({ summary: 'Business, marketing and financial KPIs over a range; financial.costUsd equals GET /costs/summary totalUsd for the same range' })
  kpiView(@CurrentPrincipal() p: Principal, @Query() q: RangeQueryDto): Promise<KpiView> {
    return this.kpis.kpis(p.tenantId, range(q));
  }

  @Get('metrics/timeseries')
  @ApiOperation({ summary: 'One metric per UTC day or hour: {metric, granularity, from, to, points:[{t, value, exact?}], total}' })
  timeseries(@CurrentPrincipal() p: Principal, @Query() q: TimeseriesQueryDto): Promise<TimeseriesView> {
    return this.kpis.timeseries(p.tenantId, q.metric, q.granularity ?? 'day', range(q));
  }

  @Post('metrics/revenue')
  @MinRole('admin')
  @ApiOperation({ summary: 'Book revenue (manual entry) so that ROI is computed on real money' })
  createRevenue(@CurrentPrincipal() p: Principal, @Body() body: CreateRevenueDto): Promise<RevenueView> {
    return this.revenue.create(p.tenantId, body);
  }

  @Get('metrics/revenue')
  @ApiOperation({ summary: 'Revenue entries, newest first' })
  listRevenue(@CurrentPrincipal() p: Principal, @Query() q: RevenueListQueryDto): Promise<RevenueView[]> {
    return this.revenue.list(p.tenantId, q.limit ?? 100);
  }

  @Post('metrics/revenue/import')
  @MinRole('admin')
  @HttpCode(201)
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: 5 * 1024 * 1024, files: 1 } }))
  @ApiOperation({ summary: 'CSV import (field `file`): header amountUsd,occurredAt[,source,postId,jobId,note,externalId]; all rows or none' })
  importRevenue(
    @CurrentPrincipal() p: Principal,
    @UploadedFile() file: { buffer: Buffer } | undefined,
    @Query() q: RevenueImportQueryDto,
  ): Promise<RevenueImportResult> {
    if (!file) throw new RevenueInputError(['file must be a CSV file (multipart field "file")']);
    return this.revenue.importCsv(p.tenantId, file.buffer, q.source ?? 'csv');
  }

  @Get('alerts')
  @ApiOperation({ summary: 'Alerts raised by the rules, newest first (firing and resolved)' })
  listAlerts(@CurrentPrincipal() p: Principal, @Query() q: AlertsQueryDto): Promise<AlertView[]> {
    return this.alerts.list(p.tenantId, q);
  }

  @Get('alerts/rules')
  @ApiOperation({ summary: 'The alert rules and where notifications go' })
  getRules(@CurrentPrincipal() p: Principal): Promise<AlertRulesView> {
    return this.alerts.rules(p.tenantId);
  }

  @Put('alerts/rules')
  @MinRole('admin')
  @ApiOperation({ summary: 'Replace the alert rules (and optionally the webhook: {url, secret?, format?})' })
  putRules(@CurrentPrincipal() p: Principal, @Body() body: PutAlertRulesDto): Promise<AlertRulesView> {
    return this.alerts.putRules(p.tenantId, body);
  }
}

@ApiTags('integrations')
@Controller('integrations/stripe')
export class StripeWebhookController {
  constructor(private readonly revenue: RevenueService) {}

  @Post('webhook')
  @Public()
  @SkipThrottle()
  @HttpCode(200)
  @ApiOperation({ summary: 'Stripe webhook: verified Stripe-Signature; books charge.succeeded and invoice.paid (USD) once per event id' })
  @ApiOkResponse({ description: '{received: true, booked, reason?}' })
  webhook(@Req() req: Request, @Headers('stripe-signature') signature: string | undefined): Promise<{ received: true; booked: boolean; reason?: string }> {
    return this.revenue.stripeWebhook((req as Request & { rawBody?: Buffer }).rawBody, signature);
  }
}
