/**
 * Finding categories of the privacy detector, in the order findings are reported. They are names
 * only: the detector never returns, logs or forwards the matched text (docs/autoselect.md, "explainable").
 */
export const PRIVACY_CATEGORIES = [
  'private_key',
  'api_key',
  'secret',
  'password',
  'url_credentials',
  'jwt',
  'email',
  'phone',
  'iban',
  'card_number',
  'national_id',
  'ip_address',
  'customer_record',
  'custom',
] as const;

export type PrivacyCategory = (typeof PRIVACY_CATEGORIES)[number];
