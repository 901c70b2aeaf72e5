import { z } from 'zod';

/**
 * The Gemini API's wire types (https://ai.google.dev/api/generate-content), request side as
 * TypeScript (aisbf builds it) and answer side as zod (aisbf reads it, untrusted). Unknown fields
 * in answers are tolerated: the API adds fields often.
 */
export type GooglePart =
  | { text: string; thought?: boolean }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType?: string; fileUri: string } }
  | { functionCall: { name: string; args: Record<string, unknown>; id?: string } }
  | { functionResponse: { name: string; response: Record<string, unknown>; id?: string } };

export interface GoogleContent {
  role: 'user' | 'model';
  parts: GooglePart[];
}

export interface GoogleFunctionDeclaration {
  name: string;
  description?: string;
  /** Full JSON Schema (the API's `parametersJsonSchema`), so clients' schemas need no rewriting. */
  parametersJsonSchema?: Record<string, unknown>;
}

export interface GoogleGenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  candidateCount?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  responseMimeType?: string;
  responseJsonSchema?: Record<string, unknown>;
}

export interface GoogleRequest {
  contents: GoogleContent[];
  systemInstruction?: { parts: Array<{ text: string }> };
  tools?: Array<{ functionDeclarations: GoogleFunctionDeclaration[] }>;
  toolConfig?: {
    functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] };
  };
  generationConfig?: GoogleGenerationConfig;
}

const partSchema = z
  .object({
    text: z.string().optional(),
    thought: z.boolean().optional(),
    functionCall: z
      .object({ name: z.string(), args: z.record(z.string(), z.unknown()).optional(), id: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();

const count = z.number().int().nonnegative().optional();

export const googleUsageSchema = z
  .object({
    promptTokenCount: count,
    candidatesTokenCount: count,
    totalTokenCount: count,
    cachedContentTokenCount: count,
    thoughtsTokenCount: count,
  })
  .loose();
export type GoogleUsage = z.infer<typeof googleUsageSchema>;

/** One `GenerateContentResponse`: a whole answer, or one event of `streamGenerateContent?alt=sse`. */
export const googleResponseSchema = z
  .object({
    candidates: z
      .array(
        z
          .object({
            content: z
              .object({ role: z.string().optional(), parts: z.array(partSchema).optional() })
              .loose()
              .optional(),
            finishReason: z.string().optional(),
            index: z.number().int().nonnegative().optional(),
          })
          .loose(),
      )
      .optional(),
    promptFeedback: z.object({ blockReason: z.string().optional() }).loose().optional(),
    usageMetadata: googleUsageSchema.optional(),
    modelVersion: z.string().optional(),
    responseId: z.string().optional(),
  })
  .loose();
export type GoogleResponse = z.infer<typeof googleResponseSchema>;
export type GoogleCandidate = NonNullable<GoogleResponse['candidates']>[number];

/** Google's error body (https://ai.google.dev/gemini-api/docs/troubleshooting). */
export const googleErrorSchema = z.object({
  error: z
    .object({ code: z.number().optional(), message: z.string().optional(), status: z.string().optional() })
    .loose(),
});

export const googleModelsSchema = z
  .object({
    models: z
      .array(
        z
          .object({
            name: z.string(),
            inputTokenLimit: z.number().int().positive().optional(),
            supportedGenerationMethods: z.array(z.string()).optional(),
          })
          .loose(),
      )
      .default([]),
    nextPageToken: z.string().optional(),
  })
  .loose();

export const googleEmbedSchema = z.object({ embedding: z.object({ values: z.array(z.number()) }).loose() }).loose();
export const googleBatchEmbedSchema = z
  .object({ embeddings: z.array(z.object({ values: z.array(z.number()) }).loose()) })
  .loose();
