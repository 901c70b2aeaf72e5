import { isRecord } from './mock-answer';

/**
 * What the Gemini API refuses in a `generateContent` body, worded as it words it
 * (https://ai.google.dev/api/generate-content; messages as the API answered them when tried):
 * unknown fields (protobuf JSON is strict), an empty `contents`, a role other than `user`/`model`,
 * a part with no or two kinds of data, a function response turn that does not answer the
 * function call turn right before it (same number of parts), a function call turn that does not
 * follow a user or function response turn.
 */
export interface GeminiRefusal {
  status: number;
  rpc: string;
  message: string;
}

const REQUEST_FIELDS = new Set([
  'contents',
  'systemInstruction',
  'tools',
  'toolConfig',
  'generationConfig',
  'safetySettings',
  'cachedContent',
  'labels',
]);
const GENERATION_FIELDS = new Set([
  'temperature',
  'topP',
  'topK',
  'maxOutputTokens',
  'stopSequences',
  'candidateCount',
  'presencePenalty',
  'frequencyPenalty',
  'seed',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseLogprobs',
  'logprobs',
  'thinkingConfig',
  'responseModalities',
]);
const PART_DATA = [
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'executableCode',
  'codeExecutionResult',
];
const PART_FIELDS = new Set([...PART_DATA, 'thought', 'thoughtSignature', 'videoMetadata']);
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;

const bad = (message: string): GeminiRefusal => ({ status: 400, rpc: 'INVALID_ARGUMENT', message });
const unknown = (name: string, at: string): GeminiRefusal =>
  bad(`Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`);

function checkParts(parts: unknown, at: string): GeminiRefusal | null {
  if (!Array.isArray(parts) || parts.length === 0)
    return bad(`* GenerateContentRequest.${at}.parts: contents.parts must not be empty.`);
  for (const [j, part] of parts.entries()) {
    if (!isRecord(part)) return bad(`Invalid value at '${at}.parts[${j}]': expected an object`);
    for (const key of Object.keys(part)) if (!PART_FIELDS.has(key)) return unknown(key, `${at}.parts[${j}]`);
    const kinds = PART_DATA.filter((k) => part[k] !== undefined);
    if (kinds.length !== 1)
      return bad(
        `* GenerateContentRequest.${at}.parts[${j}].data: required oneof field 'data' must have one initialized field`,
      );
    if (part['text'] !== undefined && typeof part['text'] !== 'string')
      return bad(`Invalid value at '${at}.parts[${j}].text' (TYPE_STRING)`);
    const call = part['functionCall'] ?? part['functionResponse'];
    if (call !== undefined && (!isRecord(call) || typeof call['name'] !== 'string' || call['name'] === ''))
      return bad(`* GenerateContentRequest.${at}.parts[${j}].function_call.name: Name cannot be empty.`);
    const response = isRecord(part['functionResponse']) ? part['functionResponse']['response'] : {};
    if (!isRecord(response))
      return bad(
        `Invalid value at '${at}.parts[${j}].function_response.response' (type.googleapis.com/google.protobuf.Struct)`,
      );
    const args = isRecord(part['functionCall']) ? (part['functionCall']['args'] ?? {}) : {};
    if (!isRecord(args))
      return bad(
        `Invalid value at '${at}.parts[${j}].function_call.args' (type.googleapis.com/google.protobuf.Struct)`,
      );
    const inline = part['inlineData'];
    if (
      inline !== undefined &&
      (!isRecord(inline) || typeof inline['data'] !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(inline['data']))
    )
      return bad(`Invalid value at '${at}.parts[${j}].inline_data.data' (TYPE_BYTES), Base64 decoding failed`);
  }
  return null;
}

const count = (parts: unknown[], kind: string): number =>
  parts.filter((p) => isRecord(p) && p[kind] !== undefined).length;

export function validateGenerateContent(body: unknown): GeminiRefusal | null {
  if (!isRecord(body)) return bad('Invalid JSON payload received.');
  for (const key of Object.keys(body)) if (!REQUEST_FIELDS.has(key)) return unknown(key, '');
  const contents = body['contents'];
  if (!Array.isArray(contents) || contents.length === 0)
    return bad('* GenerateContentRequest.contents: contents is not specified');
  let previous: { role: string; parts: unknown[] } | null = null;
  for (const [i, content] of contents.entries()) {
    const at = `contents[${i}]`;
    if (!isRecord(content)) return bad(`Invalid value at '${at}': expected an object`);
    for (const key of Object.keys(content)) if (key !== 'role' && key !== 'parts') return unknown(key, at);
    const role = content['role'] ?? 'user';
    if (role !== 'user' && role !== 'model') return bad('Please use a valid role: user, model.');
    const refusal = checkParts(content['parts'], at);
    if (refusal !== null) return refusal;
    const parts = content['parts'] as unknown[];
    const responses = count(parts, 'functionResponse');
    const calls = count(parts, 'functionCall');
    if (responses > 0) {
      const asked = previous?.role === 'model' ? count(previous.parts, 'functionCall') : 0;
      if (asked === 0)
        return bad('Please ensure that function response turn comes immediately after a function call turn.');
      if (asked !== responses)
        return bad(
          'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.',
        );
    }
    if (calls > 0 && previous !== null && previous.role !== 'user')
      return bad(
        'Please ensure that function call turn comes immediately after a user turn or after a function response turn.',
      );
    previous = { role: role as string, parts };
  }
  const system = body['systemInstruction'];
  if (system !== undefined) {
    if (!isRecord(system)) return bad(`Invalid value at 'system_instruction'`);
    const refusal = checkParts(system['parts'], 'systemInstruction');
    if (refusal !== null) return refusal;
  }
  const config = body['generationConfig'];
  if (config !== undefined) {
    if (!isRecord(config)) return bad(`Invalid value at 'generation_config'`);
    for (const key of Object.keys(config)) if (!GENERATION_FIELDS.has(key)) return unknown(key, 'generation_config');
  }
  const tools = body['tools'];
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return bad(`Invalid value at 'tools'`);
    for (const [i, tool] of tools.entries()) {
      const declarations = isRecord(tool) ? tool['functionDeclarations'] : undefined;
      if (!Array.isArray(declarations)) continue;
      for (const [j, fn] of declarations.entries()) {
        if (!isRecord(fn) || typeof fn['name'] !== 'string' || !FUNCTION_NAME.test(fn['name']))
          return bad(`* GenerateContentRequest.tools[${i}].function_declarations[${j}].name: Invalid function name.`);
        if (fn['parameters'] !== undefined && fn['parametersJsonSchema'] !== undefined)
          return bad(
            `* GenerateContentRequest.tools[${i}].function_declarations[${j}]: parameters and parameters_json_schema cannot both be set.`,
          );
      }
    }
  }
  return null;
}
