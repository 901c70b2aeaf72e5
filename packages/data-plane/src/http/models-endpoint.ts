import type { ServerResponse } from 'node:http';
import {
  GatewayError,
  listAliases,
  listRoutes,
  resolveRoute,
  type SnapshotIndex,
  type SnapshotUser,
} from '@aisbf/core';
import { sendError, sendJson } from './openai-error';

/** `GET /models` and `GET /models/{id}` (OpenAI's List and Retrieve model); lists are kept per user index. */
export interface ModelsEndpoint {
  serve(
    res: ServerResponse,
    current: SnapshotIndex,
    user: SnapshotUser,
    id: string | null,
    headers: Record<string, string>,
  ): void;
}

export function createModelsEndpoint(): ModelsEndpoint {
  // Keyed by the index (one per user part and global part): a changed part gets a new list.
  const lists = new WeakMap<SnapshotIndex, Map<string, string>>();
  return {
    serve(res, current, user, id, headers) {
      const created = Math.floor(current.snapshot.createdAt / 1000);
      if (id !== null) {
        const r = resolveRoute(current, { user }, id);
        if (!r.ok)
          return sendError(
            res,
            new GatewayError('NOT_FOUND', `The model "${id}" does not exist or you do not have access to it.`, {
              wireCode: 'model_not_found',
            }),
            headers,
          );
        return sendJson(res, 200, { id, object: 'model', created, owned_by: 'aisbf' }, headers);
      }
      let perUser = lists.get(current);
      if (perUser === undefined) {
        perUser = new Map();
        lists.set(current, perUser);
      }
      let body = perUser.get(user.id);
      if (body === undefined) {
        const aliases = listAliases(current, { user });
        const names = listRoutes(current, { user });
        const known = new Set(names);
        const data: Array<Record<string, unknown>> = [];
        for (const name of names) {
          const own = aliases.get(name);
          data.push({
            id: name,
            object: 'model',
            created,
            owned_by: 'aisbf',
            ...(own === undefined ? {} : { aliases: own }),
          });
          // An exact alias is a name a client may send: listed too, saying which route it reaches.
          for (const alias of own ?? [])
            if (!alias.endsWith('*') && !known.has(alias))
              data.push({ id: alias, object: 'model', created, owned_by: 'aisbf', alias_of: name });
        }
        body = JSON.stringify({ object: 'list', data });
        perUser.set(user.id, body);
      }
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  };
}
