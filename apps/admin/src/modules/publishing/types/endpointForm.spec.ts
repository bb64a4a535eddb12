import { makeEndpoint } from '../../../testing/fixtures';
import { emptyEndpointForm, endpointErrorPaths, endpointFormOf, parseCreateEndpoint, parseUpdateEndpoint } from './endpointForm';

describe('parseCreateEndpoint', () => {
  it('puts each type’s fields where the API expects them', () => {
    const form = emptyEndpointForm('strapi');
    const result = parseCreateEndpoint('strapi', {
      name: ' CMS ',
      values: { ...form.values, url: 'https://cms.example.com ', apiToken: 'tok', contentType: 'articles' },
    });
    expect(result).toEqual({
      ok: true,
      request: { type: 'strapi', name: 'CMS', url: 'https://cms.example.com', credentials: { apiToken: 'tok' }, config: { contentType: 'articles' } },
    });
  });

  it('asks a blog for a name, and its public address only if given', () => {
    expect(parseCreateEndpoint('blog', { name: 'Our blog', values: { slug: ' ' } })).toEqual({ ok: true, request: { type: 'blog', name: 'Our blog' } });
    expect(parseCreateEndpoint('blog', { name: 'Our blog', values: { slug: 'acme' } })).toEqual({
      ok: true,
      request: { type: 'blog', name: 'Our blog', config: { slug: 'acme' } },
    });
  });

  it('does not offer to change a blog’s public address', () => {
    const blog = makeEndpoint({ type: 'blog', url: null, config: { slug: 'acme' }, credentialFields: [] });
    expect(endpointFormOf(blog)).toEqual({ name: 'Company blog', values: {} });
    expect(parseUpdateEndpoint(blog, { name: 'Renamed', values: {} })).toEqual({ ok: true, request: { name: 'Renamed' } });
  });

  it('names every missing or bad field', () => {
    const result = parseCreateEndpoint('bluesky', { name: '', values: { url: 'bsky.social', handle: '', appPassword: '' } });
    expect(result).toEqual({
      ok: false,
      errors: {
        name: 'Give the endpoint a name.',
        url: 'Enter a full http:// or https:// URL.',
        handle: 'Enter the handle.',
        appPassword: 'Enter the app password.',
      },
    });
  });
});

describe('parseUpdateEndpoint', () => {
  const endpoint = makeEndpoint();

  it('starts with the stored URL and blank credentials', () => {
    expect(endpointFormOf(endpoint)).toEqual({ name: 'Company blog', values: { url: 'https://blog.example.com', username: '', applicationPassword: '' } });
  });

  it('keeps the stored credentials when they are left blank, and sends only what changed', () => {
    const form = endpointFormOf(endpoint);
    expect(parseUpdateEndpoint(endpoint, { ...form, name: 'Main blog' })).toEqual({ ok: true, request: { name: 'Main blog' } });
    expect(parseUpdateEndpoint(endpoint, form)).toEqual({ ok: true, request: {} });
  });

  it('replaces the credentials as a set', () => {
    const form = endpointFormOf(endpoint);
    const partial = parseUpdateEndpoint(endpoint, { ...form, values: { ...form.values, applicationPassword: 'abcd efgh' } });
    expect(partial).toEqual({ ok: false, errors: { username: 'Enter the username too: credentials are replaced together.' } });
    const whole = parseUpdateEndpoint(endpoint, { ...form, values: { ...form.values, username: 'ada', applicationPassword: 'abcd efgh' } });
    expect(whole).toEqual({ ok: true, request: { credentials: { username: 'ada', applicationPassword: 'abcd efgh' } } });
  });
});

it('maps request paths to the form fields that feed them', () => {
  expect(endpointErrorPaths('ghost')).toEqual({ type: ['type'], name: ['name'], url: ['url'], adminApiKey: ['credentials.adminApiKey', 'adminApiKey'] });
});
