import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, ValidateIf } from 'class-validator';

/**
 * Optional, but never null: class-validator's IsOptional skips null too, so
 * `{"field": null}` would pass as "not given".
 */
export const IsAbsentOrValid = () =>
  ValidateIf((_object, value: unknown) => value !== undefined);

/** A consumer group named by its role (realtime, analytics) or its group id. */
export const GroupName = (description: string) =>
  applyDecorators(
    ApiProperty({
      description,
      example: 'realtime',
      minLength: 1,
      maxLength: 249,
    }),
    // Nearest first: the type check runs before the length check.
    Length(1, 249, { message: 'group must be 1 to 249 characters' }),
    IsString({ message: 'group must be a group role or id' }),
  );
