import { aliasProblem, parseAliases } from './aliases';
import type { JsonObject } from './config-document';
import type { Issue } from './issues';
import { SLUG } from './provider-form';

/** What the pages hand a route form (a rotation's, an autoselect's): the route as stored, and what to do on save. */
export interface RouteFormProps {
  initialId?: string;
  initialConfig?: JsonObject;
  isNew: boolean;
  /** Issues the server found in the last save, by the same paths the form checks. */
  serverIssues?: Issue[];
  onsave: (id: string, config: JsonObject) => Promise<void>;
  oncancel?: () => void;
}

/**
 * What every route form (a rotation, an autoselect) checks of the route's names: its ID is a slug
 * (it becomes part of model names clients send), and each alias is a model name or a prefix.
 */
export function routeNameIssues(route: { label: string; example: string; id: string; aliases: string }): Issue[] {
  const out: Issue[] = [];
  if (!SLUG.test(route.id.trim()))
    out.push({ path: 'id', message: `${route.label} ID must be a slug such as ${route.example}` });
  const aliasIssue = aliasProblem(parseAliases(route.aliases));
  if (aliasIssue !== null) out.push({ path: 'aliases', message: aliasIssue });
  return out;
}

/**
 * A route's config as its form saves it: `model_name` as the document had it (else the ID), and
 * `aliases` only when some are typed (docs/clients.md "Route aliases").
 */
export function withRouteNames(config: JsonObject, id: string, aliases: string): JsonObject {
  const out: JsonObject = {
    ...config,
    model_name: typeof config['model_name'] === 'string' ? config['model_name'] : id.trim(),
  };
  const list = parseAliases(aliases);
  if (list.length > 0) out['aliases'] = list;
  else delete out['aliases'];
  return out;
}
