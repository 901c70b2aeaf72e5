import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { GraphQLError, type ValidationContext, type ASTVisitor } from 'graphql/index.js';
import type { Plugin } from 'graphql-yoga';

/** Tokens a document may have: bounds parse work and the parser's recursion (about 1,000 levels). */
export const MAX_DOCUMENT_TOKENS = 2000;
/** Selection-set nesting allowed: deep enough for every real query of this schema. */
export const MAX_DOCUMENT_DEPTH = 20;

/** Aliases an operation may use: each alias runs its resolver again (320 of them stalled a node). */
export const MAX_DOCUMENT_ALIASES = 15;
/** graphql-armor's cost (2 per object, 1 per scalar, ×1.5 per level): every real query costs < 500. */
export const MAX_DOCUMENT_COST = 5000;

/**
 * graphql-armor's rules throw their error out of validation (which yoga would mask); here they
 * report it as an ordinary validation error instead, without armor's "Syntax Error:" prefix.
 */
const reportRejection = (context: ValidationContext | null, error: { message: string }): void =>
  context?.reportError(new GraphQLError(`${error.message.replace(/^Syntax Error: /, '')} (docs/control-plane.md)`));

/** Validation rule: selection sets nested deeper than MAX_DOCUMENT_DEPTH are refused (docs/security.md). */
export function maxDepthRule(context: ValidationContext): ASTVisitor {
  let depth = 0;
  let reported = false;
  return {
    SelectionSet: {
      enter(node) {
        depth += 1;
        if (depth > MAX_DOCUMENT_DEPTH && !reported) {
          reported = true;
          context.reportError(
            new GraphQLError(`query is nested deeper than ${MAX_DOCUMENT_DEPTH} levels`, { nodes: [node] }),
          );
        }
      },
      leave() {
        depth -= 1;
      },
    },
  };
}

/**
 * Bounds every GraphQL document: a token limit at parse time (a ~2,000-level document otherwise
 * overflows graphql-js' recursive parser and surfaces as a masked INTERNAL error), then depth,
 * alias and cost rules at validation time, before any resolver runs. All answer as ordinary
 * request errors.
 */
export const limitDocumentPlugin: Plugin = {
  onParse({ parseFn, setParseFn }) {
    setParseFn((source, options) => parseFn(source, { ...options, maxTokens: MAX_DOCUMENT_TOKENS }));
  },
  onValidate({ addValidationRule }) {
    addValidationRule(maxDepthRule);
    const reject = { propagateOnRejection: false, onReject: [reportRejection] };
    addValidationRule(maxAliasesRule({ n: MAX_DOCUMENT_ALIASES, ...reject }) as (c: ValidationContext) => ASTVisitor);
    addValidationRule(costLimitRule({ maxCost: MAX_DOCUMENT_COST, ...reject }) as (c: ValidationContext) => ASTVisitor);
  },
};
