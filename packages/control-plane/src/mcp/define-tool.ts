import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Actor } from '../services/actor';

/** What a tool call knows about its caller. */
export interface McpToolContext {
  actor: Actor;
  /** The caller's API token as sent: `chat` presents it to the data plane, which applies its limits. */
  token: string;
}

/** A tool's answer: the text an agent reads, and the same as JSON for programs. */
export interface McpToolOutput {
  text: string;
  structured: Record<string, unknown>;
}

export interface McpTool {
  name: string;
  description: string;
  annotations: ToolAnnotations;
  /** Listed for admins only; the service refuses a plain user who calls it anyway. */
  adminOnly?: boolean;
  /** Checked before `run`; advertised (as JSON Schema) in `tools/list`. */
  input: z.ZodObject;
  run(ctx: McpToolContext, args: Record<string, unknown>): Promise<McpToolOutput>;
}

/** Keeps `run`'s argument typed by the tool's own input schema. */
export function defineTool<S extends z.ZodObject>(tool: {
  name: string;
  description: string;
  annotations: ToolAnnotations;
  adminOnly?: boolean;
  input: S;
  run(ctx: McpToolContext, args: z.output<S>): Promise<McpToolOutput>;
}): McpTool {
  return tool as unknown as McpTool;
}

/** A result as pretty JSON text; arrays and scalars are wrapped, structured content is an object. */
export function jsonOutput(value: unknown): McpToolOutput {
  const structured =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { result: value };
  return { text: JSON.stringify(value, null, 2), structured };
}

const jsonSchemaOf = (schema: z.ZodType): Record<string, unknown> => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
};

/**
 * A JSON document argument (a rotation, an autoselect, a provider) that the service validates
 * itself, so a bad one gets GraphQL's very message, with paths relative to the document. Here it
 * only has to be an object; clients are shown the service schema's JSON Schema.
 */
export const documentArg = (schema: z.ZodType, description: string) =>
  z.record(z.string(), z.unknown()).meta({ ...jsonSchemaOf(schema), description });

/** The JSON Schema `tools/list` shows; a plain user's tools do not offer `owner`. */
export function advertisedSchema(tool: McpTool, admin: boolean): { type: 'object'; [key: string]: unknown } {
  const input = admin || !('owner' in tool.input.shape) ? tool.input : tool.input.omit({ owner: true });
  return { ...jsonSchemaOf(input), type: 'object' };
}
