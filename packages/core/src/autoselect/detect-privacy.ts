import type { Result } from '../result';
import { messageTexts } from './message-texts';
import { PRIVACY_CATEGORIES, type PrivacyCategory } from './privacy-category';
import { PRIVACY_RULES, scanPrivacyText } from './privacy-rules';
import { compileUserPatterns, type UserPatterns } from './user-pattern';

export interface DetectPrivacyOptions {
  /** An autoselect's `private_patterns`, compiled (see compilePrivatePatterns); a hit is `custom`. */
  extraPatterns?: UserPatterns;
}

export interface PrivacyVerdict {
  private: boolean;
  /** Categories found, in PRIVACY_CATEGORIES order; never the matched text. */
  findings: PrivacyCategory[];
}

/**
 * Inline images (`data:image/png;base64,…`) are megabytes of noise in which random runs can look like
 * keys; they are blanked before scanning. The bytes of an image are not inspected (docs/autoselect.md).
 */
const DATA_URL = /data:[\w.+-]{1,100}\/[\w.+-]{1,100}(?:;[\w.=-]{1,100}){0,4};base64,[A-Za-z0-9+/=]{1,}/g;

/** The text the detector scans for a conversation: every message's text, images blanked. */
export function privacyScanText(messages: readonly unknown[] | string): string {
  const text = messageTexts(messages)
    .map((m) => m.text)
    .join('\n');
  return text.includes(';base64,') ? text.replace(DATA_URL, ' ') : text;
}

/** Same as detectPrivacy, over text already prepared by privacyScanText. */
export function detectPrivacyInText(text: string, options: DetectPrivacyOptions = {}): PrivacyVerdict {
  const found = new Set<PrivacyCategory>();
  const ctx = scanPrivacyText(text);
  for (const rule of PRIVACY_RULES) {
    if (found.has(rule.category)) continue;
    if (rule.scan(ctx)) found.add(rule.category);
  }
  if (options.extraPatterns !== undefined && options.extraPatterns.count > 0 && options.extraPatterns.test(text))
    found.add('custom');
  const findings = PRIVACY_CATEGORIES.filter((c) => found.has(c));
  return { private: findings.length > 0, findings };
}

/**
 * Local, deterministic privacy check of a conversation (docs/architecture.md "Autoselect"): runs
 * before anything leaves the node. `messages` is a chat body's `messages` (string content or OpenAI
 * content parts, tool-call arguments included) or a legacy prompt string.
 */
export function detectPrivacy(
  messages: readonly unknown[] | string,
  options: DetectPrivacyOptions = {},
): PrivacyVerdict {
  return detectPrivacyInText(privacyScanText(messages), options);
}

/**
 * Compiles an autoselect's `private_patterns` (case-insensitive, RE2 syntax, linear time: see
 * user-pattern.ts). The config schema already refuses unusable ones; this still returns an error
 * rather than throwing, for snapshots from elsewhere.
 */
export function compilePrivatePatterns(patterns: readonly string[]): Result<UserPatterns> {
  return compileUserPatterns(patterns, 'private_patterns');
}
