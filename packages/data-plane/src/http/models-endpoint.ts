import type { ServerResponse } from 'node:http';
import { GatewayError, listRoutes, resolveRoute, type SnapshotIndex, type SnapshotUser } from '@aisbf/core';
import { sendError, sendJson } from './openai-error';

/** `GET /models` and `GET /models/{id}` (OpenAI's List and Retrieve model); lists are kept per user per snapshot. */
export interface ModelsEndpoint {
  serve(
    res: ServerResponse,
    current: SnapshotIndex,
    user: SnapshotUser,
    id: string | null,
    headers: Record<string, string>,
  ): void;
  /** A new snapshot: the lists are rebuilt lazily. */
  reset(): void;
}

export function createModelsEndpoint(): ModelsEndpoint {
  let lists = new Map<string, string>();
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
      let body = lists.get(user.id);
      if (body === undefined) {
        body = JSON.stringify({
          object: 'list',
          data: listRoutes(current, { user }).map((name) => ({
            id: name,
            object: 'model',
            created,
            owned_by: 'aisbf',
          })),
        });
        lists.set(user.id, body);
      }
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
    reset() {
      lists = new Map();
    },
  };
}
