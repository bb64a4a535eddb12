// The one place the process environment is read: validated once at boot, typed, frozen.
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  validateSync,
  ValidationError,
  ValidationOptions,
} from 'class-validator';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { OutboundPolicySettings } from '../net/outbound-policy';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const toBool = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const v = String(value).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value; // left as-is so that @IsBoolean reports it
};
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

function IsBase64Key(bytes: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isBase64Key',
      target: target.constructor,
      propertyName,
      options: {
        message: `$property must be ${bytes} random bytes encoded as base64 (generate one with: openssl rand -base64 ${bytes})`,
        ...options,
      },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
          return Buffer.from(value, 'base64').length === bytes;
        },
      },
    });
}

export interface OpenAiCompatibleHost {
  id: string;
  name?: string;
  baseUrl: string;
  apiKey?: string;
}

const MODEL_ID = '[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}';
const COUNTERFACTUAL_LIST = new RegExp(`^(?:${MODEL_ID}|(?:[a-z0-9*][a-z0-9_-]*=${MODEL_ID})(?:\\s*,\\s*[a-z0-9*][a-z0-9_-]*=${MODEL_ID})*)$`);

/** `model-id` (every operation) or `operation=model-id,…` (`*=model-id`: the operations not named). */
export function parseCounterfactual(value: string | undefined): SavingsCounterfactualSettings {
  if (!value) return Object.freeze({ byOperation: Object.freeze({}) });
  if (!value.includes('=')) return Object.freeze({ default: value.trim(), byOperation: Object.freeze({}) });
  const byOperation: Record<string, string> = {};
  let fallback: string | undefined;
  for (const pair of value.split(',')) {
    const [op, model] = pair.split('=').map((x) => x.trim());
    if (!op || !model) continue;
    if (op === '*') fallback = model;
    else byOperation[op] = model;
  }
  return Object.freeze({ ...(fallback ? { default: fallback } : {}), byOperation: Object.freeze(byOperation) });
}

function parseHostList(value: unknown): OpenAiCompatibleHost[] | null {
  if (typeof value !== 'string') return null;
  try {
    const list = JSON.parse(value) as unknown;
    if (!Array.isArray(list)) return null;
    const ok = list.every(
      (h: Partial<OpenAiCompatibleHost>) =>
        typeof h === 'object' &&
        h !== null &&
        typeof h.id === 'string' &&
        /^[a-z0-9][a-z0-9-]{0,62}$/.test(h.id) &&
        typeof h.baseUrl === 'string' &&
        /^https?:\/\//.test(h.baseUrl) &&
        (h.apiKey === undefined || typeof h.apiKey === 'string'),
    );
    return ok ? (list as OpenAiCompatibleHost[]) : null;
  } catch {
    return null;
  }
}

function IsOpenAiHostList(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isOpenAiHostList',
      target: target.constructor,
      propertyName,
      options: {
        message:
          '$property must be a JSON array like [{"id":"groq","baseUrl":"https://api.groq.com/openai/v1","apiKey":"..."}] (id: lowercase letters, digits, dashes)',
        ...options,
      },
      validator: { validate: (value: unknown) => parseHostList(value) !== null },
    });
}

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** Environment variables, named as they are set, so that validation messages name the variable. */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: 'development' | 'production' | 'test';

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsString()
  HOST?: string;

  @Transform(emptyToUndefined)
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL?: string;

  @Transform(emptyToUndefined)
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET!: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(60 * 60 * 24 * 30)
  JWT_EXPIRES_IN_SECONDS?: number;

  @Transform(emptyToUndefined)
  @IsBase64Key(32)
  ENCRYPTION_KEY!: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(URL_OPTIONS)
  OLLAMA_BASE_URL?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  OPENAI_API_KEY?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(URL_OPTIONS)
  OPENAI_BASE_URL?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  ANTHROPIC_API_KEY?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(URL_OPTIONS)
  ANTHROPIC_BASE_URL?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsOpenAiHostList()
  OPENAI_COMPATIBLE_HOSTS?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsEmail()
  ADMIN_EMAIL?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  @MinLength(10, { message: 'ADMIN_PASSWORD must be at least 10 characters' })
  @MaxLength(200)
  ADMIN_PASSWORD?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  WORKER_CONCURRENCY?: number;

  // The batch tier (docs/batch-tier.md): flush a model's queued requests at this many or this old, poll this often,
  // and use it only for work whose deadline is at least this far away.
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(50_000)
  BATCH_FLUSH_MAX_REQUESTS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  BATCH_FLUSH_MAX_AGE_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(3_600_000)
  BATCH_POLL_INTERVAL_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(2_592_000)
  BATCH_MIN_WINDOW_SECONDS?: number;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  ALLOW_SIGNUP?: boolean;

  @IsOptional()
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 512kb or 10mb' })
  BODY_LIMIT?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_MAX_FAILURES?: number;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

  @IsOptional()
  @IsString()
  ADMIN_DIST_DIR?: string;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  TRUST_PROXY?: boolean;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(600)
  SHUTDOWN_TIMEOUT_SECONDS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(300)
  SOCKET_REAUTH_INTERVAL_SECONDS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  PROMOTION_EVALUATION_SECONDS?: number;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  OUTBOUND_ALLOW_LOOPBACK?: boolean;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  OUTBOUND_ALLOW_PRIVATE?: boolean;

  @IsOptional()
  @IsString()
  @Matches(/^\s*([A-Za-z0-9.\-[\]:]+\s*(,\s*|$))*$/, { message: 'OUTBOUND_ALLOW_HOSTS must be a comma-separated list of host or host:port' })
  OUTBOUND_ALLOW_HOSTS?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(1000)
  DB_POOL_SIZE?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120_000)
  DB_POOL_ACQUIRE_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  DB_STATEMENT_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  REQUEST_BODY_TIMEOUT_SECONDS?: number;

  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(/^smtps?:\/\/[^\s]+$/, { message: 'SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465' })
  SMTP_URL?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  @MaxLength(320)
  MAIL_FROM?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(URL_OPTIONS)
  PUBLIC_URL?: string;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  SIGNUP_CONFIRM_EMAIL?: boolean;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT?: number;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  METRICS_HOST?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'METRICS_INSTANCE must be 1-64 letters, digits, or _.:-' })
  METRICS_INSTANCE?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  @Matches(/^whsec_\S+$/, { message: 'STRIPE_WEBHOOK_SECRET must be the endpoint signing secret (whsec_...)' })
  STRIPE_WEBHOOK_SECRET?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(URL_OPTIONS)
  ALERT_WEBHOOK_URL?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  @MinLength(16, { message: 'ALERT_WEBHOOK_SECRET must be at least 16 characters' })
  ALERT_WEBHOOK_SECRET?: string;

  @IsOptional()
  @IsIn(['margin', 'slack'])
  ALERT_WEBHOOK_FORMAT?: 'margin' | 'slack';

  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(COUNTERFACTUAL_LIST, {
    message: 'SAVINGS_COUNTERFACTUAL_MODEL must be a model id, or a comma list of operation=model-id (with *=model-id for the others)',
  })
  SAVINGS_COUNTERFACTUAL_MODEL?: string;
}

export type LogLevel = NonNullable<EnvironmentVariables['LOG_LEVEL']>;

/** Typed, validated configuration. Inject it; never read process.env elsewhere. */
export class AppConfig {
  readonly nodeEnv!: 'development' | 'production' | 'test';
  readonly port!: number;
  readonly host!: string;
  readonly databaseUrl!: string;
  readonly redisUrl!: string;
  readonly jwtSecret!: string;
  readonly jwtExpiresInSeconds!: number;
  /** 32-byte key for AES-256-GCM encryption of stored secrets. */
  readonly encryptionKey!: Buffer;
  readonly ollamaBaseUrl!: string;
  readonly openaiApiKey?: string;
  readonly openaiBaseUrl?: string;
  readonly anthropicApiKey?: string;
  readonly anthropicBaseUrl?: string;
  /** Extra OpenAI-compatible hosts (vLLM, LM Studio, OpenRouter, Groq…) from OPENAI_COMPATIBLE_HOSTS. */
  readonly openaiCompatibleHosts!: OpenAiCompatibleHost[];
  readonly adminEmail?: string;
  readonly adminPassword?: string;
  readonly workerConcurrency!: number;
  readonly allowSignup!: boolean;
  readonly bodyLimit!: string;
  readonly rateLimitPerMinute!: number;
  readonly loginMaxFailures!: number;
  readonly logLevel!: LogLevel;
  readonly adminDistDir!: string;
  readonly trustProxy!: boolean;
  /** How long a process may take to stop gracefully (finish requests, items in hand) before it forces its exit. */
  readonly shutdownTimeoutMs!: number;
  /** How often each progress socket's credentials are checked again (revoked key, deleted user, expired token). */
  readonly socketReauthIntervalMs!: number;
  /** How often the worker weighs every A/B policy cell by its tenant's promotion rule. */
  readonly promotionEvaluationMs!: number;
  /** Postgres connections each process may hold, how long a request waits for one, and server-side limits. */
  readonly database!: DatabasePoolSettings;
  /** Where Margin may connect for URLs that admins and tenants give (the SSRF guard's settings). */
  readonly outbound!: OutboundPolicySettings;
  /** How long a client has to send a whole request (headers and body) before 408. */
  readonly requestBodyTimeoutSeconds!: number;
  /** Outgoing mail (sign-up confirmations); absent: Margin sends no mail. Holds credentials: never logged. */
  readonly smtpUrl?: string;
  readonly mailFrom!: string;
  /** Where people reach Margin (links in mails). */
  readonly publicUrl!: string;
  /**
   * Sign-up answers the same whether or not the email is taken and finishes from a link mailed to it, so the
   * sign-up form cannot tell who has an account. Default: on when SMTP_URL is set.
   */
  readonly signupConfirmEmail!: boolean;
  /** Observability: /metrics bearer token (absent: public), the worker's metrics listener, this process's instance label. */
  readonly metrics!: MetricsSettings;
  /** Stripe's endpoint signing secret; absent: the Stripe webhook answers 503 (not configured). Never logged. */
  readonly stripeWebhookSecret?: string;
  /** Where alert notifications are POSTed (signed with the secret), and in which body shape. */
  readonly alertWebhook?: AlertWebhookSettings;
  /**
   * The model savings are measured against (SAVINGS_COUNTERFACTUAL_MODEL), for every operation (`default`) or per
   * operation; absent: the routing policy's premium candidate of the operation (see docs/metrics.md).
   */
  readonly savingsCounterfactual!: SavingsCounterfactualSettings;
  /** The batch tier's flush policy, poll interval and the shortest deadline window it accepts. */
  readonly batch!: BatchTierSettings;
}

export interface SavingsCounterfactualSettings {
  default?: string;
  byOperation: Readonly<Record<string, string>>;
}

export interface BatchTierSettings {
  flushMaxRequests: number;
  flushMaxAgeMs: number;
  pollIntervalMs: number;
  minWindowSeconds: number;
}

export interface MetricsSettings {
  token?: string;
  /** The worker serves /metrics on this port (undefined: it does not; 0: a free port). */
  port?: number;
  host: string;
  /** The `instance` label every sample of this process carries. */
  instance: string;
}

export interface AlertWebhookSettings {
  url: string;
  secret?: string;
  format: 'margin' | 'slack';
}

export interface DatabasePoolSettings {
  poolSize: number;
  acquireTimeoutMs: number;
  /** 0 = no limit. */
  statementTimeoutMs: number;
  /** 0 = no limit. */
  idleInTransactionTimeoutMs: number;
}

export const DEFAULT_DATABASE_POOL: DatabasePoolSettings = Object.freeze({
  poolSize: 20,
  acquireTimeoutMs: 5000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 30_000,
});

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

function flatten(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => Object.values(e.constraints ?? {}));
}

/** `host:port` of each URL given (the port spelled out), for the outbound allow-list. */
function configuredHosts(urls: Array<string | undefined>): string[] {
  const out: string[] = [];
  for (const raw of urls) {
    if (!raw) continue;
    try {
      const u = new URL(raw);
      out.push(`${u.hostname.toLowerCase()}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`);
    } catch {
      // validated above; an unparsable one is reported there
    }
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const vars = plainToInstance(EnvironmentVariables, { ...env });
  const errors = validateSync(vars, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigValidationError(flatten(errors));

  const config: AppConfig = {
    nodeEnv: vars.NODE_ENV ?? 'development',
    port: vars.PORT ?? 3000,
    host: vars.HOST ?? '127.0.0.1',
    databaseUrl: vars.DATABASE_URL,
    redisUrl: vars.REDIS_URL ?? 'redis://127.0.0.1:6379',
    jwtSecret: vars.JWT_SECRET,
    jwtExpiresInSeconds: vars.JWT_EXPIRES_IN_SECONDS ?? 12 * 60 * 60,
    encryptionKey: Buffer.from(vars.ENCRYPTION_KEY, 'base64'),
    ollamaBaseUrl: vars.OLLAMA_BASE_URL ?? 'http://127.0.0.1:11434',
    openaiApiKey: vars.OPENAI_API_KEY,
    openaiBaseUrl: vars.OPENAI_BASE_URL,
    anthropicApiKey: vars.ANTHROPIC_API_KEY,
    anthropicBaseUrl: vars.ANTHROPIC_BASE_URL,
    openaiCompatibleHosts: parseHostList(vars.OPENAI_COMPATIBLE_HOSTS ?? '[]') ?? [],
    adminEmail: vars.ADMIN_EMAIL?.toLowerCase(),
    adminPassword: vars.ADMIN_PASSWORD,
    workerConcurrency: vars.WORKER_CONCURRENCY ?? 4,
    batch: {
      flushMaxRequests: vars.BATCH_FLUSH_MAX_REQUESTS ?? 1000,
      flushMaxAgeMs: vars.BATCH_FLUSH_MAX_AGE_MS ?? 60_000,
      pollIntervalMs: vars.BATCH_POLL_INTERVAL_MS ?? 30_000,
      // the providers answer within 24 h: a nearer deadline runs live
      minWindowSeconds: vars.BATCH_MIN_WINDOW_SECONDS ?? 86_400,
    },
    allowSignup: vars.ALLOW_SIGNUP ?? false,
    bodyLimit: vars.BODY_LIMIT ?? '10mb',
    rateLimitPerMinute: vars.RATE_LIMIT_PER_MINUTE ?? 600,
    loginMaxFailures: vars.LOGIN_MAX_FAILURES ?? 10,
    logLevel: vars.LOG_LEVEL ?? 'info',
    adminDistDir: path.resolve(vars.ADMIN_DIST_DIR ?? path.join(process.cwd(), 'dist/apps/admin')),
    trustProxy: vars.TRUST_PROXY ?? false,
    shutdownTimeoutMs: (vars.SHUTDOWN_TIMEOUT_SECONDS ?? 10) * 1000,
    socketReauthIntervalMs: (vars.SOCKET_REAUTH_INTERVAL_SECONDS ?? 5) * 1000,
    promotionEvaluationMs: (vars.PROMOTION_EVALUATION_SECONDS ?? 3600) * 1000,
    database: Object.freeze({
      poolSize: vars.DB_POOL_SIZE ?? DEFAULT_DATABASE_POOL.poolSize,
      acquireTimeoutMs: vars.DB_POOL_ACQUIRE_TIMEOUT_MS ?? DEFAULT_DATABASE_POOL.acquireTimeoutMs,
      statementTimeoutMs: vars.DB_STATEMENT_TIMEOUT_MS ?? DEFAULT_DATABASE_POOL.statementTimeoutMs,
      idleInTransactionTimeoutMs: vars.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS ?? DEFAULT_DATABASE_POOL.idleInTransactionTimeoutMs,
    }),
    requestBodyTimeoutSeconds: vars.REQUEST_BODY_TIMEOUT_SECONDS ?? 120,
    outbound: Object.freeze({
      allowLoopback: vars.OUTBOUND_ALLOW_LOOPBACK ?? false,
      allowPrivate: vars.OUTBOUND_ALLOW_PRIVATE ?? false,
      // the model hosts the operator configured here are trusted as given (a local Ollama is loopback)
      allowHosts: Object.freeze([
        ...(vars.OUTBOUND_ALLOW_HOSTS ?? '')
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean),
        ...configuredHosts([
          vars.OLLAMA_BASE_URL ?? 'http://127.0.0.1:11434',
          vars.OPENAI_BASE_URL,
          vars.ANTHROPIC_BASE_URL,
          ...(parseHostList(vars.OPENAI_COMPATIBLE_HOSTS ?? '[]') ?? []).map((h) => h.baseUrl),
        ]),
      ]),
    }),
    smtpUrl: vars.SMTP_URL,
    mailFrom: vars.MAIL_FROM ?? 'Margin <no-reply@margin.local>',
    publicUrl: (vars.PUBLIC_URL ?? `http://${vars.HOST ?? '127.0.0.1'}:${vars.PORT ?? 3000}`).replace(/\/+$/, ''),
    signupConfirmEmail: vars.SIGNUP_CONFIRM_EMAIL ?? vars.SMTP_URL !== undefined,
    metrics: Object.freeze({
      token: vars.METRICS_TOKEN,
      port: vars.METRICS_PORT,
      host: vars.METRICS_HOST ?? '127.0.0.1',
      instance: vars.METRICS_INSTANCE ?? `${hostname()}:${process.pid}`,
    }),
    stripeWebhookSecret: vars.STRIPE_WEBHOOK_SECRET,
    alertWebhook: vars.ALERT_WEBHOOK_URL
      ? Object.freeze({ url: vars.ALERT_WEBHOOK_URL, secret: vars.ALERT_WEBHOOK_SECRET, format: vars.ALERT_WEBHOOK_FORMAT ?? 'margin' })
      : undefined,
    savingsCounterfactual: parseCounterfactual(vars.SAVINGS_COUNTERFACTUAL_MODEL),
  };
  if (config.signupConfirmEmail && !config.smtpUrl)
    throw new ConfigValidationError(['SIGNUP_CONFIRM_EMAIL=true needs SMTP_URL (the confirmation links are mailed)']);
  return Object.freeze(Object.assign(new AppConfig(), config));
}
