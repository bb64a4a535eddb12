import type { CreateEndpointRequest, EndpointType, EndpointView, UpdateEndpointRequest } from '@margin/contracts';

/** A form field of an endpoint: the name, the URL, one credential or one config value. */
export interface EndpointField {
  key: string;
  label: string;
  /** Where the value goes in the request. */
  target: 'url' | 'credentials' | 'config';
  secret?: boolean;
  /** May be left blank (the server picks a default). */
  optional?: boolean;
  /** Set once, when the endpoint is added (the blog's public address: links and feed readers depend on it). */
  createOnly?: boolean;
  hint?: string;
  placeholder?: string;
}

export interface EndpointTypeSpec {
  type: EndpointType;
  label: string;
  description: string;
  fields: EndpointField[];
}

const URL_FIELD = (label: string, placeholder: string, hint?: string): EndpointField => ({ key: 'url', label, target: 'url', placeholder, hint });

export const ENDPOINT_TYPE_SPECS: Record<EndpointType, EndpointTypeSpec> = {
  blog: {
    type: 'blog',
    label: 'Own blog',
    description: 'Margin’s own public blog for your tenant, with RSS, Atom and JSON feeds.',
    fields: [
      {
        key: 'slug',
        label: 'Public address',
        target: 'config',
        optional: true,
        createOnly: true,
        placeholder: 'acme-records',
        hint: 'The blog’s path, /blog/<address>. Empty: made from your tenant’s name. It cannot be changed later.',
      },
    ],
  },
  wordpress: {
    type: 'wordpress',
    label: 'WordPress',
    description: 'A WordPress site, through its REST API with an application password.',
    fields: [
      URL_FIELD('Site URL', 'https://blog.example.com'),
      { key: 'username', label: 'Username', target: 'credentials' },
      {
        key: 'applicationPassword',
        label: 'Application password',
        target: 'credentials',
        secret: true,
        hint: 'Users → Profile → Application passwords in WordPress.',
      },
    ],
  },
  ghost: {
    type: 'ghost',
    label: 'Ghost',
    description: 'A Ghost site, through its Admin API.',
    fields: [
      URL_FIELD('Ghost URL', 'https://ghost.example.com'),
      {
        key: 'adminApiKey',
        label: 'Admin API key',
        target: 'credentials',
        secret: true,
        hint: 'Settings → Integrations → a custom integration, as id:secret.',
      },
    ],
  },
  bluesky: {
    type: 'bluesky',
    label: 'Bluesky',
    description: 'A Bluesky (AT Protocol) account: a short post with a link card.',
    fields: [
      URL_FIELD('Service URL', 'https://bsky.social', 'The account’s PDS; https://bsky.social for most accounts.'),
      { key: 'handle', label: 'Handle', target: 'credentials', placeholder: 'name.bsky.social' },
      { key: 'appPassword', label: 'App password', target: 'credentials', secret: true, hint: 'Settings → Privacy and security → App passwords.' },
    ],
  },
  webhook: {
    type: 'webhook',
    label: 'Webhook',
    description: 'A signed JSON POST to your own receiver (X-Margin-Signature).',
    fields: [
      URL_FIELD('Receiver URL', 'https://hooks.example.com/margin'),
      { key: 'secret', label: 'Signing secret', target: 'credentials', secret: true, hint: 'The receiver checks X-Margin-Signature with it.' },
    ],
  },
  strapi: {
    type: 'strapi',
    label: 'Strapi',
    description: 'A Strapi CMS, through its REST API with an API token.',
    fields: [
      URL_FIELD('Strapi URL', 'https://cms.example.com'),
      { key: 'apiToken', label: 'API token', target: 'credentials', secret: true, hint: 'Settings → API tokens, with create and update rights.' },
      { key: 'contentType', label: 'Content type', target: 'config', placeholder: 'articles', hint: 'The plural API ID of the collection posts go to.' },
    ],
  },
};

export function endpointTypeLabel(type: EndpointType): string {
  return ENDPOINT_TYPE_SPECS[type].label;
}

/** Form state: the name and one string per field key (credentials start blank: they are never sent back). */
export interface EndpointFormValues {
  name: string;
  values: Record<string, string>;
}

/** Keys of the form's errors: `name` or a field key. */
export type EndpointFormErrors = Record<string, string>;

export function emptyEndpointForm(type: EndpointType): EndpointFormValues {
  return { name: '', values: Object.fromEntries(ENDPOINT_TYPE_SPECS[type].fields.map((field) => [field.key, ''])) };
}

/** The fields an endpoint's form shows: all of them when adding it, the changeable ones when editing. */
export function formFields(type: EndpointType, editing: boolean): EndpointField[] {
  return ENDPOINT_TYPE_SPECS[type].fields.filter((field) => !(editing && field.createOnly));
}

export function endpointFormOf(endpoint: EndpointView): EndpointFormValues {
  const values: Record<string, string> = {};
  for (const field of formFields(endpoint.type, true)) {
    if (field.target === 'url') values[field.key] = endpoint.url ?? '';
    else if (field.target === 'config') {
      const value = endpoint.config[field.key];
      values[field.key] = typeof value === 'string' ? value : '';
    } else values[field.key] = '';
  }
  return { name: endpoint.name, values };
}

/** The request paths that feed each form field, for putting the server's messages next to the field. */
export function endpointErrorPaths(type: EndpointType): Record<string, string[]> {
  const paths: Record<string, string[]> = { type: ['type'], name: ['name'] };
  for (const field of ENDPOINT_TYPE_SPECS[type].fields) {
    paths[field.key] = field.target === 'url' ? ['url'] : [`${field.target}.${field.key}`, field.key];
  }
  return paths;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const NAME_MAX = 120;

function checkCommon(fields: EndpointField[], form: EndpointFormValues, errors: EndpointFormErrors): void {
  const name = form.name.trim();
  if (!name) errors.name = 'Give the endpoint a name.';
  else if (name.length > NAME_MAX) errors.name = `Use at most ${NAME_MAX} characters.`;
  for (const field of fields) {
    if (field.target === 'url') {
      const url = (form.values[field.key] ?? '').trim();
      if (!url) errors[field.key] = `Enter the ${field.label.toLowerCase()}.`;
      else if (!isHttpUrl(url)) errors[field.key] = 'Enter a full http:// or https:// URL.';
    }
    if (field.target === 'config' && !field.optional && !(form.values[field.key] ?? '').trim()) errors[field.key] = `Enter the ${field.label.toLowerCase()}.`;
  }
}

export type EndpointFormResult<R> = { ok: true; request: R } | { ok: false; errors: EndpointFormErrors };

export function parseCreateEndpoint(type: EndpointType, form: EndpointFormValues): EndpointFormResult<CreateEndpointRequest> {
  const fields = formFields(type, false);
  const errors: EndpointFormErrors = {};
  checkCommon(fields, form, errors);
  for (const field of fields) {
    if (field.target === 'credentials' && !(form.values[field.key] ?? '').trim()) errors[field.key] = `Enter the ${field.label.toLowerCase()}.`;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const request: CreateEndpointRequest = { type, name: form.name.trim() };
  const credentials: Record<string, string> = {};
  const config: Record<string, unknown> = {};
  for (const field of fields) {
    const value = (form.values[field.key] ?? '').trim();
    if (field.target === 'url') request.url = value;
    else if (field.target === 'credentials') credentials[field.key] = value;
    else if (value) config[field.key] = value;
  }
  if (Object.keys(credentials).length > 0) request.credentials = credentials;
  if (Object.keys(config).length > 0) request.config = config;
  return { ok: true, request };
}

/**
 * Only what changed is sent. Credentials are write-only: all blank keeps the stored ones; typing any of them
 * replaces the set, so every credential of the type must then be given (the stored ones cannot be shown to
 * complete it).
 */
export function parseUpdateEndpoint(endpoint: EndpointView, form: EndpointFormValues): EndpointFormResult<UpdateEndpointRequest> {
  const fields = formFields(endpoint.type, true);
  const errors: EndpointFormErrors = {};
  checkCommon(fields, form, errors);
  const credentialFields = fields.filter((field) => field.target === 'credentials');
  const typed = credentialFields.filter((field) => (form.values[field.key] ?? '').trim() !== '');
  if (typed.length > 0) {
    for (const field of credentialFields) {
      if (!typed.includes(field)) errors[field.key] = `Enter the ${field.label.toLowerCase()} too: credentials are replaced together.`;
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const request: UpdateEndpointRequest = {};
  const name = form.name.trim();
  if (name !== endpoint.name) request.name = name;
  const config: Record<string, unknown> = { ...endpoint.config };
  let configChanged = false;
  for (const field of fields) {
    const value = (form.values[field.key] ?? '').trim();
    if (field.target === 'url' && value !== (endpoint.url ?? '')) request.url = value;
    if (field.target === 'config' && value !== endpoint.config[field.key]) {
      config[field.key] = value;
      configChanged = true;
    }
  }
  if (configChanged) request.config = config;
  if (typed.length > 0) request.credentials = Object.fromEntries(credentialFields.map((field) => [field.key, (form.values[field.key] ?? '').trim()]));
  return { ok: true, request };
}
