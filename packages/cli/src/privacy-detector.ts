import { detectPrivacyInText, type UserPatterns } from '@aisbf/core';

/** The control plane's dry-run uses the very detector the data plane runs (core's). */
export const privacyDetector = (
  text: string,
  extraPatterns: UserPatterns,
): { private: boolean; findings: string[] } => {
  const verdict = detectPrivacyInText(text, { extraPatterns });
  return { private: verdict.private, findings: [...verdict.findings] };
};
