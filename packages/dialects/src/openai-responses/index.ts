export { chatToResponse } from './chat-to-response';
export { convertResponsesInput, type InputProblem } from './convert-responses-input';
export { prepareResponsesTools, type ToolNames, type ToolOrigin } from './prepare-responses-tools';
export {
  convertChatUsage,
  type OutputItem,
  type ResponseContext,
  type ResponseObject,
  type ResponseUsage,
} from './response-object';
export { responsesRequestSchema, type ResponsesItem, type ResponsesRequest } from './responses-api';
export { createResponsesReply, formatResponsesError, type ResponsesReply } from './responses-client';
export { createResponsesStreamEncoder, type ResponsesStreamEncoder } from './responses-stream-encoder';
export { responsesToChat, type ChatTurn, type ResponseEcho } from './responses-to-chat';
