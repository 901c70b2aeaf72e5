import type { PromptMessage } from '../autoselect/build-selection-prompt';
import { messageTexts } from '../autoselect/message-texts';
import type { SummaryMethod } from './plan-summary';

const INSTRUCTION = [
  'You condense conversations so that an assistant can carry on without the full history.',
  'The user message holds a transcript of part of a conversation between a user and an assistant.',
  'Write a summary of that transcript for the assistant who continues it: keep the facts, names,',
  'numbers, code identifiers, decisions, what the user asked for and what is still open. Write in',
  'the language of the conversation. Do not answer the conversation, do not add anything new, and',
  'output only the summary.',
].join(' ');

/**
 * The summariser's request for `conversational` and `hierarchical` condensation (docs/context.md
 * "Condensation"): one instruction and the turns as one plain transcript. A transcript rather than
 * the turns themselves, so the summariser does not continue the conversation and no backend's
 * tool-call rules apply to turns taken out of their context.
 */
export function summaryPrompt(
  turns: readonly unknown[],
  opts: { method: SummaryMethod; maxTokens: number },
): PromptMessage[] {
  const where =
    opts.method === 'hierarchical'
      ? 'These are the middle turns: the opening exchange and the newest turns stay verbatim beside your summary.'
      : 'These are the older turns: the newest turns stay verbatim after your summary.';
  const transcript = messageTexts(turns)
    .map((m) => `${m.role}: ${m.text}`)
    .join('\n\n');
  return [
    { role: 'system', content: `${INSTRUCTION} ${where} Use at most about ${Math.floor(opts.maxTokens * 0.7)} words.` },
    { role: 'user', content: `<transcript>\n${transcript}\n</transcript>` },
  ];
}
