import { z } from 'zod';

/**
 * The canonical request's parts as adapters read them (OpenAI Chat,
 * https://platform.openai.com/docs/api-reference/chat/create). Lenient where OpenAI-compatible
 * clients differ (a `null` content, a part type an adapter does not know), strict where a vendor
 * needs the field to build its request.
 */

const textPart = z.object({ type: z.literal('text'), text: z.string() }).loose();
const imagePart = z
  .object({
    type: z.literal('image_url'),
    image_url: z.union([z.string(), z.object({ url: z.string(), detail: z.string().optional() }).loose()]),
  })
  .loose();
const otherPart = z.object({ type: z.string() }).loose();

export const chatContentSchema = z.union([z.string(), z.array(z.union([textPart, imagePart, otherPart])), z.null()]);

export const chatToolCallSchema = z
  .object({
    id: z.string(),
    type: z.literal('function').optional(),
    function: z.object({ name: z.string(), arguments: z.string().default('') }).loose(),
  })
  .loose();

export const chatMessageSchema = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: chatContentSchema.optional(),
    name: z.string().optional(),
    tool_calls: z.array(chatToolCallSchema).nullish(),
    tool_call_id: z.string().optional(),
  })
  .loose();
export type ChatMessageInput = z.infer<typeof chatMessageSchema>;

export const chatMessagesSchema = z.array(chatMessageSchema);

export const chatToolsSchema = z.array(
  z
    .object({
      type: z.string(),
      function: z
        .object({
          name: z.string(),
          description: z.string().optional(),
          parameters: z.record(z.string(), z.unknown()).optional(),
        })
        .loose()
        .optional(),
    })
    .loose(),
);

export const chatToolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }).loose(),
]);

/** The text of a message's content: strings joined, non-text parts left out. */
export function contentText(content: z.infer<typeof chatContentSchema> | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  let out = '';
  for (const part of content) if (part.type === 'text' && typeof part['text'] === 'string') out += part['text'];
  return out;
}
