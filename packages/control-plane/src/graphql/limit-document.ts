import { GraphQLError, type ValidationContext, type ASTVisitor } from 'graphql/index.js';
import type { Plugin } from 'graphql-yoga';

/** Tokens a document may have: bounds parse work and the parser's recursion (about 1,000 levels). */
export const MAX_DOCUMENT_TOKENS = 2000;
/** Selection-set nesting allowed: deep enough for every real query of this schema. */
export const MAX_DOCUMENT_DEPTH = 20;

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
 * overflows graphql-js' recursive parser and surfaces as a masked INTERNAL error) and a depth rule
 * at validation time. Both answer as ordinary request errors.
 */
export const limitDocumentPlugin: Plugin = {
  onParse({ parseFn, setParseFn }) {
    setParseFn((source, options) => parseFn(source, { ...options, maxTokens: MAX_DOCUMENT_TOKENS }));
  },
  onValidate({ addValidationRule }) {
    addValidationRule(maxDepthRule);
  },
};
