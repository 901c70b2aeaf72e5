import { ok } from '../result';
import type { DialectError, Result } from '../dialect';
import type { ChatRequest } from '../chat-types';
import { readChatPrompt } from '../read-chat-prompt';
import { readChatTools } from '../read-chat-tools';
import { readSampling, type Sampling } from '../read-sampling';
import type { GoogleGenerationConfig, GoogleRequest } from './google-api';
import { convertToGoogleContents } from './convert-to-google-contents';
import { googlePrepareTools } from './google-prepare-tools';

function generationConfig(s: Sampling): GoogleGenerationConfig {
  const config: GoogleGenerationConfig = {};
  if (s.temperature !== undefined) config.temperature = s.temperature;
  if (s.topP !== undefined) config.topP = s.topP;
  if (s.topK !== undefined) config.topK = s.topK;
  if (s.maxTokens !== undefined) config.maxOutputTokens = s.maxTokens;
  if (s.stop !== undefined) config.stopSequences = s.stop;
  if (s.n !== undefined) config.candidateCount = s.n;
  if (s.presencePenalty !== undefined) config.presencePenalty = s.presencePenalty;
  if (s.frequencyPenalty !== undefined) config.frequencyPenalty = s.frequencyPenalty;
  if (s.seed !== undefined) config.seed = s.seed;
  if (s.json !== undefined) {
    config.responseMimeType = 'application/json';
    if (s.json.schema !== null) config.responseJsonSchema = s.json.schema;
  }
  return config;
}

/**
 * An OpenAI Chat request as a Gemini `generateContent` body (https://ai.google.dev/api/generate-content).
 * The model and streaming are in the URL (`googleChatPath`), not the body. Fields without a Gemini
 * equivalent (`logprobs`, `user`, `parallel_tool_calls`, `logit_bias`, …) are dropped
 * (docs/providers.md lists them).
 */
export function toGoogleRequest(body: ChatRequest): Result<GoogleRequest, DialectError> {
  const prompt = readChatPrompt(Array.isArray(body['messages']) ? body['messages'] : []);
  if (!prompt.ok) return prompt;
  const contents = convertToGoogleContents(prompt.value);
  if (!contents.ok) return contents;
  const tools = readChatTools(body);
  if (!tools.ok) return tools;
  const sampling = readSampling(body);
  if (!sampling.ok) return sampling;
  const request: GoogleRequest = { ...contents.value, ...googlePrepareTools(tools.value) };
  const config = generationConfig(sampling.value);
  if (Object.keys(config).length > 0) request.generationConfig = config;
  return ok(request);
}

/** `{endpoint}` + this: the model's method, streamed as SSE when `stream`. */
export function googleChatPath(model: string, stream: boolean): string {
  const name = encodeURIComponent(model.replace(/^models\//, ''));
  return stream ? `/v1beta/models/${name}:streamGenerateContent?alt=sse` : `/v1beta/models/${name}:generateContent`;
}
