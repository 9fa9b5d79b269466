import { type ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard.js';

function contextWith(header: string | undefined): ExecutionContext {
  return {
    switchToHttp: () => ({
      getRequest: () => ({
        header: (name: string) => (name === 'x-api-key' ? header : undefined),
      }),
    }),
  } as unknown as ExecutionContext;
}

describe('ApiKeyGuard', () => {
  const config = (apiKey: string | undefined) => ({ apiKey });

  it('lets every request through when PRODUCE_API_KEY is not set', () => {
    expect(
      new ApiKeyGuard(config(undefined)).canActivate(contextWith(undefined)),
    ).toBe(true);
  });

  it('accepts the configured key', () => {
    expect(
      new ApiKeyGuard(config('s3cret')).canActivate(contextWith('s3cret')),
    ).toBe(true);
  });

  it.each([
    ['a missing header', undefined],
    ['a wrong key', 'nope'],
    ['a longer key with the right prefix', 's3cret-and-more'],
  ])('answers 401 for %s', (_name, header) => {
    expect(() =>
      new ApiKeyGuard(config('s3cret')).canActivate(contextWith(header)),
    ).toThrow(UnauthorizedException);
  });
});
