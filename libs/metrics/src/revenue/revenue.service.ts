import { Injectable, Logger } from '@nestjs/common';
import type { CreateRevenueRequest, RevenueImportResult, RevenueView } from '@margin/contracts';
import { AppConfig, DomainError, picoToDecimal, picoToUsd, usdToPico } from '@margin/core';
import { JobsRepository } from '@margin/analysis';
import { TenantRepository } from '@margin/identity';
import { parse } from 'csv-parse/sync';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { RollupService } from '../kpis/rollup.service';
import { RevenueRepository, type NewRevenue, type RevenueRow } from './revenue.repository';

export class RevenueInputError extends DomainError {
  readonly httpStatus = 400;
  readonly code = 'invalid_revenue';
  constructor(override readonly details: string[]) {
    super(details.join('; '));
  }
}

export class UnknownJobError extends DomainError {
  readonly httpStatus = 422;
  readonly code = 'unknown_job';
}

/** Without a signing secret the endpoint does not exist for Stripe (404, not a server error to be retried). */
export class StripeNotConfiguredError extends DomainError {
  readonly httpStatus = 404;
  readonly code = 'stripe_not_configured';
  constructor() {
    super('The Stripe webhook is not configured (set STRIPE_WEBHOOK_SECRET)');
  }
}

export class StripeSignatureError extends DomainError {
  readonly httpStatus = 400;
  readonly code = 'invalid_signature';
}

/** At most this many rows per CSV import (one statement, one transaction). */
export const MAX_IMPORT_ROWS = 10_000;
const SOURCE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const AMOUNT = /^-?\d{1,9}(\.\d{1,6})?$/;
const MAX_USD = 1_000_000_000;

export const toRevenueView = (r: RevenueRow): RevenueView => ({
  id: r.id,
  amountUsd: picoToUsd(usdToPico(r.amountUsd)),
  amountUsdExact: picoToDecimal(usdToPico(r.amountUsd)),
  occurredAt: r.occurredAt.toISOString(),
  source: r.source,
  postId: r.postId,
  jobId: r.jobId,
  note: r.note,
  externalId: r.externalId,
  createdAt: r.createdAt.toISOString(),
});

/** One row of input (JSON body or CSV line) checked field by field; problems named `<prefix>field`. */
export function checkRevenueInput(raw: Record<string, unknown>, prefix = ''): { entry?: NewRevenue; problems: string[] } {
  const problems: string[] = [];
  const text = (v: unknown) =>
    v === undefined || v === null || v === '' ? undefined : typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : null;
  const amount = text(raw.amountUsd);
  if (amount === undefined || amount === null || !AMOUNT.test(amount)) problems.push(`${prefix}amountUsd must be a USD amount with at most 6 decimals`);
  else if (Number(amount) === 0 || Math.abs(Number(amount)) > MAX_USD)
    problems.push(`${prefix}amountUsd must be non-zero and at most ${MAX_USD} in absolute value`);
  const occurred = text(raw.occurredAt);
  const at = occurred && ISO.test(occurred) ? new Date(occurred) : null;
  if (!at || Number.isNaN(at.getTime()) || at.getUTCFullYear() < 2000 || at.getUTCFullYear() > 2999)
    problems.push(`${prefix}occurredAt must be an ISO-8601 time between 2000 and 2999`);
  const source = text(raw.source);
  if (!source || !SOURCE.test(source)) problems.push(`${prefix}source must be 1-64 lowercase letters, digits, or _.- (e.g. "manual", "stripe", "ads")`);
  const postId = text(raw.postId);
  if (postId !== undefined && (postId === null || !UUID.test(postId))) problems.push(`${prefix}postId must be a UUID`);
  const jobId = text(raw.jobId);
  if (jobId !== undefined && (jobId === null || !UUID.test(jobId))) problems.push(`${prefix}jobId must be a UUID`);
  const note = text(raw.note);
  if (note === null || (note !== undefined && note.length > 1000)) problems.push(`${prefix}note must be a string of at most 1000 characters`);
  const externalId = text(raw.externalId);
  if (externalId === null || (externalId !== undefined && externalId.length > 255))
    problems.push(`${prefix}externalId must be a string of at most 255 characters`);
  if (problems.length > 0 || !amount || !at || !source) return { problems };
  return {
    problems,
    entry: {
      amountUsd: picoToDecimal(usdToPico(amount)),
      occurredAt: at,
      source,
      postId: postId ?? null,
      jobId: jobId ?? null,
      note: note ?? null,
      externalId: externalId ?? null,
    },
  };
}

/** Revenue booked by hand, from CSV files and from Stripe, so that ROI is computed on real money. */
@Injectable()
export class RevenueService {
  private readonly logger = new Logger(RevenueService.name);

  constructor(
    private readonly repo: RevenueRepository,
    private readonly jobs: JobsRepository,
    private readonly tenants: TenantRepository,
    private readonly config: AppConfig,
    private readonly db: DataSource,
    private readonly rollups: RollupService,
  ) {}

  /** Past days already rolled up get this tenant's row recomputed, so the daily series shows the new revenue at once. */
  private async booked(tenantId: string, rows: RevenueRow[]): Promise<void> {
    const today = this.today();
    const days = rows.map((r) => r.occurredAt.toISOString().slice(0, 10)).filter((d) => d < today);
    if (days.length) await this.rollups.refreshTenantDays(tenantId, days);
  }

  private today(): string {
    return this.rollups.today();
  }

  async create(tenantId: string, input: CreateRevenueRequest): Promise<RevenueView> {
    const { entry, problems } = checkRevenueInput(input as unknown as Record<string, unknown>);
    if (!entry) throw new RevenueInputError(problems);
    await this.checkJobs(tenantId, [entry]);
    const [row] = await this.repo.insertMany(tenantId, [entry]);
    if (!row) throw new DomainConflict(`revenue with source "${entry.source}" and externalId "${entry.externalId}" was booked before`);
    await this.booked(tenantId, [row]);
    return toRevenueView(row);
  }

  list(tenantId: string, limit: number): Promise<RevenueView[]> {
    return this.repo.list(tenantId, limit).then((rows) => rows.map(toRevenueView));
  }

  /**
   * A CSV with a header row (amountUsd, occurredAt, source, and optionally postId, jobId, note, externalId):
   * every row is checked before any is booked (all or nothing); rows whose externalId was booked before are
   * skipped, so importing the same file twice books it once.
   */
  async importCsv(tenantId: string, csv: Buffer | string, defaultSource = 'csv'): Promise<RevenueImportResult> {
    let records: Array<Record<string, string>>;
    try {
      records = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true, to: MAX_IMPORT_ROWS + 1 }) as Array<Record<string, string>>;
    } catch (err) {
      throw new RevenueInputError([`file is not valid CSV: ${(err as Error).message}`]);
    }
    if (records.length === 0) throw new RevenueInputError(['file has no rows (a header row, then one row per revenue entry)']);
    if (records.length > MAX_IMPORT_ROWS) throw new RevenueInputError([`file has more than ${MAX_IMPORT_ROWS} rows`]);
    const entries: NewRevenue[] = [];
    const problems: string[] = [];
    records.forEach((rec, i) => {
      // an empty cell is an absent value (the default source applies)
      const given = Object.fromEntries(Object.entries(rec).filter(([, v]) => v !== ''));
      const checked = checkRevenueInput({ source: defaultSource, ...given }, `rows.${i + 1}.`);
      problems.push(...checked.problems);
      if (checked.entry) entries.push(checked.entry);
    });
    if (problems.length > 0) throw new RevenueInputError(problems.slice(0, 50));
    await this.checkJobs(tenantId, entries);
    const booked = await this.db.transaction((m) => this.repo.insertMany(tenantId, entries, m));
    await this.booked(tenantId, booked);
    return { imported: booked.length, skipped: entries.length - booked.length };
  }

  /**
   * A Stripe webhook delivery: verified with the endpoint secret on the raw body (tolerance 5 minutes, so an
   * old delivery replayed is refused), then `charge.succeeded` and `invoice.paid` in USD are booked once per
   * Stripe event id. The tenant is the one named in the object's `metadata.margin_tenant_id`, else the
   * operator's. A charge that belongs to an invoice is left to its invoice.paid (never booked twice).
   */
  async stripeWebhook(rawBody: Buffer | undefined, signature: string | undefined): Promise<{ received: true; booked: boolean; reason?: string }> {
    const secret = this.config.stripeWebhookSecret;
    if (!secret) throw new StripeNotConfiguredError();
    if (!rawBody || !signature) throw new StripeSignatureError('Stripe-Signature header and a raw JSON body are required');
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(rawBody, signature, secret);
    } catch (err) {
      throw new StripeSignatureError(`Stripe signature verification failed: ${(err as Error).message}`);
    }
    const booking = stripeBooking(event);
    if ('skip' in booking) return { received: true, booked: false, reason: booking.skip };
    const tenantId = await this.stripeTenant(booking.tenantHint);
    if (!tenantId) return { received: true, booked: false, reason: 'no tenant to book it to' };
    const rows = await this.repo.insertMany(tenantId, [
      {
        amountUsd: picoToDecimal(BigInt(booking.cents) * 10_000_000_000n),
        occurredAt: new Date(event.created * 1000),
        source: 'stripe',
        postId: booking.postId,
        jobId: null,
        note: `${event.type} ${booking.objectId}`.slice(0, 1000),
        externalId: event.id,
      },
    ]);
    if (rows.length === 0) return { received: true, booked: false, reason: 'event already booked' };
    await this.booked(tenantId, rows);
    this.logger.log({ tenantId, eventId: event.id, type: event.type, cents: booking.cents }, 'Stripe revenue booked');
    return { received: true, booked: true };
  }

  private async stripeTenant(hint: string | null): Promise<string | null> {
    if (hint && UUID.test(hint)) {
      const tenant = await this.tenants.findById(hint);
      if (tenant) return tenant.id;
    }
    return (await this.tenants.findOperator())?.id ?? null;
  }

  private async checkJobs(tenantId: string, entries: NewRevenue[]): Promise<void> {
    const ids = [...new Set(entries.map((e) => e.jobId).filter((id): id is string => id !== null))];
    for (const id of ids) if (!(await this.jobs.findJob(tenantId, id))) throw new UnknownJobError(`jobId ${id} is not one of your jobs`);
  }
}

export class DomainConflict extends DomainError {
  readonly httpStatus = 409;
  readonly code = 'revenue_exists';
}

type StripeBooking = { cents: number; tenantHint: string | null; postId: string | null; objectId: string } | { skip: string };

/** What a Stripe event books, or why it books nothing. */
export function stripeBooking(event: Stripe.Event): StripeBooking {
  const meta = (m: Stripe.Metadata | null | undefined) => ({
    tenantHint: m?.margin_tenant_id ?? null,
    postId: m?.margin_post_id && UUID.test(m.margin_post_id) ? m.margin_post_id : null,
  });
  if (event.type === 'charge.succeeded') {
    const charge = event.data.object;
    if ((charge as { invoice?: unknown }).invoice) return { skip: 'charge belongs to an invoice (booked on invoice.paid)' };
    if (charge.currency !== 'usd') return { skip: `currency ${charge.currency} is not USD` };
    return { cents: charge.amount, objectId: charge.id, ...meta(charge.metadata) };
  }
  if (event.type === 'invoice.paid') {
    const invoice = event.data.object;
    if (invoice.currency !== 'usd') return { skip: `currency ${invoice.currency} is not USD` };
    if (!invoice.amount_paid) return { skip: 'nothing paid' };
    return { cents: invoice.amount_paid, objectId: invoice.id ?? 'invoice', ...meta(invoice.metadata) };
  }
  // Stripe's event types number in the hundreds: everything else is acknowledged and books nothing
  return { skip: `event type ${event.type} books no revenue` };
}
