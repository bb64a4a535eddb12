import { ApiError } from '../../../shared/api/client';
import { splitApiErrors } from './apiFieldErrors';

const paths = { name: ['name'], url: ['url'], handle: ['credentials.handle', 'handle'] };

describe('splitApiErrors', () => {
  it('puts each message next to the field it names, the longest path first', () => {
    const error = new ApiError(
      400,
      ['url must be a URL address', 'credentials.handle should not be empty', 'url: resolves to a private address', 'credentials must be an object'],
      null,
    );
    expect(splitApiErrors(error, paths)).toEqual({
      byField: { url: 'url must be a URL address url: resolves to a private address', handle: 'credentials.handle should not be empty' },
      rest: ['credentials must be an object'],
    });
  });

  it('does not take a longer word for a field name', () => {
    expect(splitApiErrors(new ApiError(400, ['names are unique per tenant'], null), paths)).toEqual({ byField: {}, rest: ['names are unique per tenant'] });
  });

  it('leaves server failures and non-API errors to the general message', () => {
    expect(splitApiErrors(new ApiError(500, ['url broke'], null), paths)).toEqual({ byField: {}, rest: [] });
    expect(splitApiErrors(new Error('url'), paths)).toEqual({ byField: {}, rest: [] });
  });
});
