import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FeedbackView, Page, PromotionView, TrainingExampleView, TrainingSettingsView } from '@margin/contracts';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import type { Request, Response } from 'express';
import { AbReportService, type AbArmRow } from './ab/ab-report';
import { PromotionsService } from './ab/promotions.service';
import { ExamplesService } from './examples/examples.service';
import { JSONL_CONTENT_TYPE, writeLines } from './export/write-lines';
import { FeedbackService } from './feedback/feedback.service';
import { TrainingSettingsService } from './settings/training-settings';
import { AbReportQueryDto, EvaluatePromotionDto, ExportQueryDto, FeedbackDto, filtersOf, ListExamplesQueryDto, TrainingSettingsDto } from './training.dto';

@ApiTags('training')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
export class TrainingController {
  constructor(
    private readonly examples: ExamplesService,
    private readonly feedback: FeedbackService,
    private readonly settings: TrainingSettingsService,
    private readonly ab: AbReportService,
    private readonly promotions: PromotionsService,
  ) {}

  @Post('training/promotions')
  @HttpCode(201)
  @MinRole('admin')
  @ApiOperation({ summary: "Weigh a split cell's arms by the promotion rule; with apply, promote the challenger (logged, reversible)" })
  evaluatePromotion(@CurrentPrincipal() principal: Principal, @Body() body: EvaluatePromotionDto): Promise<PromotionView & { decision: unknown }> {
    return this.promotions.evaluate(
      principal.tenantId,
      {
        operation: body.operation,
        complexity: body.complexity,
        rule: { minJudged: body.minJudged, margin: body.margin },
        apply: body.apply ?? false,
      },
      principal.userId,
    );
  }

  @Post('training/promotions/:id/approve')
  @HttpCode(200)
  @MinRole('admin')
  @ApiOperation({ summary: 'One click: apply a proposed promotion or demotion (409 when the cell has changed since)' })
  approvePromotion(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<PromotionView> {
    return this.promotions.approve(principal.tenantId, id, principal.userId);
  }

  @Get('training/promotions')
  @ApiOperation({ summary: 'The promotion log: every promotion, demotion and proposal (and holds asked for by hand), newest first' })
  listPromotions(@CurrentPrincipal() principal: Principal): Promise<PromotionView[]> {
    return this.promotions.list(principal.tenantId);
  }

  @Post('training/promotions/:id/revert')
  @HttpCode(200)
  @MinRole('admin')
  @ApiOperation({ summary: 'Put the cell back as it was before an applied promotion or demotion' })
  revertPromotion(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<PromotionView> {
    return this.promotions.revert(principal.tenantId, id, principal.userId);
  }

  @Get('training/ab-report')
  @ApiOperation({ summary: "Per A/B arm of each split policy cell: calls, failures and cost (the ledger's), assessed quality and ratings" })
  abReport(@CurrentPrincipal() principal: Principal, @Query() q: AbReportQueryDto): Promise<{ from: string; to: string; arms: AbArmRow[] }> {
    return this.ab.report(principal.tenantId, { from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
  }

  @Post('items/:id/feedback')
  @HttpCode(201)
  @MinRole('member')
  @ApiOperation({ summary: "Rate an item's answer (1–5), approve it, correct it (edits: the corrected output)" })
  submitFeedback(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: FeedbackDto): Promise<FeedbackView> {
    return this.feedback.submit(principal, id, body);
  }

  @Get('training/examples')
  @ApiOperation({ summary: 'Training examples (one per answered call), newest first, with their feedback' })
  listExamples(@CurrentPrincipal() principal: Principal, @Query() q: ListExamplesQueryDto): Promise<Page<TrainingExampleView>> {
    return this.examples.list(principal.tenantId, filtersOf(q), q);
  }

  @Get('training/export')
  @ApiOperation({ summary: 'Fine-tuning file (JSONL, streamed); with split and no part, links to both parts' })
  async export(@CurrentPrincipal() principal: Principal, @Query() q: ExportQueryDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (q.split !== undefined && !q.part) {
      const base = new URL(req.originalUrl, 'http://localhost');
      const link = (part: string): string => {
        const url = new URL(base);
        url.searchParams.set('part', part);
        return `${url.pathname}${url.search}`;
      };
      res.status(200).json({ split: q.split, train: link('train'), validation: link('validation') });
      return;
    }
    const suffix = q.part ? `-${q.part}` : '';
    res.setHeader('Content-Type', JSONL_CONTENT_TYPE);
    res.setHeader('Content-Disposition', `attachment; filename="training-${q.format}${suffix}.jsonl"`);
    await writeLines(this.examples.lines(principal.tenantId, filtersOf(q), { format: q.format, dedupe: q.dedupe ?? false, split: q.split, part: q.part }), res);
  }

  @Get('training/settings')
  @ApiOperation({ summary: "Whether the tenant's calls are recorded and for how many days; the promotion rule's mode and thresholds" })
  getSettings(@CurrentPrincipal() principal: Principal): Promise<TrainingSettingsView> {
    return this.settings.get(principal.tenantId);
  }

  @Put('training/settings')
  @MinRole('admin')
  @ApiOperation({ summary: 'Opt out of (or back into) recording, set the retention, choose what the scheduled promotion rule does' })
  putSettings(@CurrentPrincipal() principal: Principal, @Body() body: TrainingSettingsDto): Promise<TrainingSettingsView> {
    return this.settings.update(principal.tenantId, body);
  }
}
