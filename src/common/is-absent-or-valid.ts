import { ValidateIf } from 'class-validator';

/**
 * Optional, but never null: class-validator's IsOptional skips null too, so
 * `{"field": null}` would pass as "not given".
 */
export const IsAbsentOrValid = () =>
  ValidateIf((_object, value: unknown) => value !== undefined);
