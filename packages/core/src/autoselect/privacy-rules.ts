import { PERSONAL_DATA_RULES } from './personal-data-rules';
import { createScanner, type PrivacyRule } from './privacy-scan';
import { SECRET_RULES } from './secret-rules';

/**
 * The detector's rule table (docs/autoselect.md): secrets first, then personal data. Every pattern is linear
 * (bounded quantifiers, no nested repetition); privacy-scan.ts explains how the text is read once.
 */
export const PRIVACY_RULES: readonly PrivacyRule[] = [...SECRET_RULES, ...PERSONAL_DATA_RULES];

/** Prepares a text for PRIVACY_RULES: the shared keyword and digit passes. */
export const scanPrivacyText = createScanner(PRIVACY_RULES);
