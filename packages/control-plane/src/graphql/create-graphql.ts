import { GatewayError } from '@aisbf/core';
// The CJS entry on purpose: Pothos and yoga load graphql's CJS build under Node, while a bare
// 'graphql' import in source run by vite resolves to the .mjs build, a second realm whose
// `instanceof` checks reject the schema.
import { lexicographicSortSchema, printSchema, type GraphQLError } from 'graphql/index.js';
import { createGraphQLError, createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Actor } from '../services/actor';
import type { Services } from '../services/create-services';
import { ValidationError } from '../services/validation-error';
import type { GraphqlContext } from './builder';
import { limitDocumentPlugin } from './limit-document';
import { graphqlSchema } from './schema';

/** The committed, sorted SDL (schema.graphql); a test fails when the schema drifts from it. */
export const printSortedSchema = (): string => `${printSchema(lexicographicSortSchema(graphqlSchema))}\n`;

/**
 * One error hook for the GraphQL edge (docs/conventions.md "Errors"): a GatewayError keeps its message and
 * gets `extensions.code` (and `path`, `issues` for validation); anything else is masked.
 */
export function maskGraphqlError(error: unknown, message: string): Error {
  // Duck-typed: graphql ships CJS and ESM builds, so `instanceof GraphQLError` is unreliable across packages.
  const graphqlError =
    typeof error === 'object' && error !== null && (error as Error).name === 'GraphQLError'
      ? (error as GraphQLError)
      : null;
  const original: unknown = graphqlError !== null ? graphqlError.originalError : error;
  const at = graphqlError?.path !== undefined ? { path: graphqlError.path } : {};
  if (original instanceof GatewayError) {
    return createGraphQLError(original.message, {
      ...at,
      extensions: {
        code: original.code,
        ...(original.path !== undefined ? { path: original.path } : {}),
        ...(original instanceof ValidationError ? { issues: original.issues } : {}),
        ...(original.retryAfterS !== undefined ? { retryAfterS: original.retryAfterS } : {}),
      },
    });
  }
  // Errors of the operation itself (syntax, unknown field, bad variable) have no original error or
  // wrap another GraphQLError: they describe the request and are safe to show.
  if (
    graphqlError !== null &&
    (original === undefined || original === null || (original as Error).name === 'GraphQLError')
  ) {
    return original instanceof Error ? original : graphqlError;
  }
  return createGraphQLError(message, { ...at, extensions: { code: 'INTERNAL' } });
}

export interface CreateGraphqlOptions {
  services: Services;
  /** Resolves the caller from the request's bearer token or session cookie. */
  authenticate: (request: Request) => Promise<Actor | null>;
}

export function createGraphql(
  options: CreateGraphqlOptions,
): YogaServerInstance<Record<string, never>, GraphqlContext> {
  return createYoga<Record<string, never>, GraphqlContext>({
    schema: graphqlSchema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: false,
    logging: false,
    // No CORS at all: the dashboard is same-origin, scripts are not browsers, and yoga's default
    // (reflect any Origin, with credentials) let any page use the dashboard's cookie.
    cors: false,
    plugins: [limitDocumentPlugin],
    maskedErrors: { maskError: (error, message) => maskGraphqlError(error, message) },
    context: async ({ request }) => ({ actor: await options.authenticate(request), services: options.services }),
  });
}
