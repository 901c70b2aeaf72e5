import { GatewayError } from '@aisbf/core';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { bearerToken } from '../http/authenticate-request';
import type { DataPlaneFetch } from '../ports';
import { isAdmin, type Actor } from '../services/actor';
import type { Services } from '../services/create-services';
import { parseOrThrow, ValidationError } from '../services/validation-error';
import { chatTool } from './chat-tool';
import { configTools } from './config-tools';
import { advertisedSchema, type McpTool, type McpToolOutput } from './define-tool';

export interface McpHandlerDeps {
  services: Services;
  /** Where `chat` sends its request; absent = `chat` answers that no data plane is configured. */
  dataPlane?: DataPlaneFetch | undefined;
  /** Largest POST body the transport reads. */
  maxBodyBytes: number;
  onError?: ((error: unknown, context: string) => void) | undefined;
}

/** `/mcp` (the token's user) and `/api/u/{username}/mcp` (that user, who must be the token's). */
export function parseMcpPath(pathname: string): { username: string | null } | null {
  if (pathname === '/mcp') return { username: null };
  const match = /^\/api\/u\/([^/]+)\/mcp$/.exec(pathname);
  if (match === null) return null;
  try {
    return { username: decodeURIComponent(match[1]!) };
  } catch {
    return null;
  }
}

/** JSON-RPC's error shape (what MCP clients parse) for refusals before the MCP layer. */
const refusal = (status: number, message: string, headers: Record<string, string> = {}): Response =>
  Response.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, { status, headers });

const CHALLENGE = 'Bearer realm="aisbf"';

const sameHost = (origin: string, url: string): boolean => {
  try {
    return new URL(origin).host === new URL(url).host;
  } catch {
    return false;
  }
};

function toolError(error: unknown, onError: McpHandlerDeps['onError'], name: string): CallToolResult {
  if (!(error instanceof GatewayError) || error.code === 'INTERNAL') {
    onError?.(error, `mcp tool ${name}`);
    return { isError: true, content: [{ type: 'text', text: 'internal error' }] };
  }
  return {
    isError: true,
    content: [{ type: 'text', text: error.message }],
    structuredContent: {
      error: {
        code: error.code,
        message: error.message,
        ...(error.path !== undefined ? { path: error.path } : {}),
        ...(error instanceof ValidationError ? { issues: error.issues } : {}),
      },
    },
  };
}

const toolResult = (output: McpToolOutput): CallToolResult => ({
  content: [{ type: 'text', text: output.text }],
  structuredContent: output.structured,
});

/**
 * aisbf as an MCP server over Streamable HTTP (docs/mcp.md), stateless: every POST gets a fresh
 * server and transport and no session id, so any control-plane instance can answer any request.
 * Tools act as the token's user through the service layer.
 */
export function createMcpHandler(deps: McpHandlerDeps): (request: Request) => Promise<Response> {
  const entries = [...configTools(deps.services), chatTool(deps.dataPlane)].map((tool) => {
    // Unknown arguments are refused, as GraphQL refuses unknown fields: a mistyped `owner` must not
    // quietly act on the caller's own resources.
    const strict = z.strictObject(tool.input.shape);
    const listing = (admin: boolean): Tool => ({
      name: tool.name,
      description: tool.description,
      annotations: tool.annotations,
      inputSchema: advertisedSchema({ ...tool, input: strict }, admin),
    });
    return { tool, strict, forAdmin: listing(true), forUser: listing(false) };
  });
  const byName = new Map(entries.map((e) => [e.tool.name, e]));
  // A server builds an Ajv instance unless given one (~1.4 ms, measured): one for every request.
  const jsonSchemaValidator = new AjvJsonSchemaValidator();

  const serve = async (request: Request, actor: Actor, token: string): Promise<Response> => {
    const admin = isAdmin(actor);
    const server = new Server(
      { name: 'aisbf', version: '0.1.0' },
      { capabilities: { tools: {} }, jsonSchemaValidator },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: entries.filter((e) => admin || e.tool.adminOnly !== true).map((e) => (admin ? e.forAdmin : e.forUser)),
    }));
    server.setRequestHandler(CallToolRequestSchema, async ({ params }) => {
      const entry = byName.get(params.name);
      if (entry === undefined) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${params.name}"`);
      try {
        const args = parseOrThrow(entry.strict, params.arguments ?? {});
        return toolResult(await entry.tool.run({ actor, token }, args));
      } catch (error) {
        return toolError(error, deps.onError, params.name);
      }
    });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: deps.maxBodyBytes,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request);
    } finally {
      await server.close();
    }
  };

  return async (request) => {
    const route = parseMcpPath(new URL(request.url).pathname);
    if (route === null) return refusal(404, 'not found');
    // DNS-rebinding guard the MCP transport spec asks for: a browser page may not drive this
    // endpoint from another origin (non-browser clients send no Origin).
    const origin = request.headers.get('origin');
    if (origin !== null && !sameHost(origin, request.url))
      return refusal(403, `requests from origin ${origin} are not accepted`);
    const token = bearerToken(request.headers);
    if (token === null)
      return refusal(401, 'send Authorization: Bearer <api token>', { 'www-authenticate': CHALLENGE });
    const actor = await deps.services.auth.authenticateToken(token);
    if (actor === null)
      return refusal(401, 'the API token is unknown, revoked or expired', {
        'www-authenticate': `${CHALLENGE}, error="invalid_token"`,
      });
    if (route.username !== null && route.username !== actor.username)
      return refusal(403, `this token acts for "${actor.username}", not "${route.username}"`);
    // Stateless: no server-initiated stream to GET and no session to DELETE (the transport spec's 405).
    if (request.method !== 'POST') return refusal(405, 'only POST is served here', { allow: 'POST' });
    return serve(request, actor, token);
  };
}
