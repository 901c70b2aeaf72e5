import { GatewayError, issuesFromZod, type ConfigIssue } from '@aisbf/core';
import type { z } from 'zod';

/**
 * A BAD_REQUEST carrying every problem with its field path, so the dashboard can show each next to
 * its field and scripts get a precise message. `path` (the first issue) keeps single-path callers
 * working.
 */
export class ValidationError extends GatewayError {
  override readonly name = 'ValidationError';
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const first = issues[0];
    super(
      'BAD_REQUEST',
      issues.map((i) => `${i.path}: ${i.message}`).join('; ') || 'invalid input',
      first ? { path: first.path } : {},
    );
    this.issues = issues;
  }
}

export const validationFromZod = (error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): ValidationError =>
  new ValidationError(issuesFromZod(error, prefix));

/** Parses with zod or throws a ValidationError naming each path. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, prefix: ReadonlyArray<PropertyKey> = []): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationFromZod(parsed.error, prefix);
  return parsed.data;
}
