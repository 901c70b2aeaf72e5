import { keywordRule, type PrivacyRule, type ScanContext } from './privacy-scan';
import { isCodeExpression, isPlaceholder, looksRandom } from './secret-heuristics';

/**
 * Privacy rules for secrets: keys, tokens, passwords, credentials in URLs, JWTs (docs/autoselect.md). Each rule
 * finds a shape and `accept`s it only after entropy and placeholder checks, so `sk-your-key-here`,
 * `${DB_PASS}` and code such as `env.API_KEY` stay out. Keywords are lower-case; see privacy-scan.ts.
 */

/** From `private key` back to its `-----BEGIN`; PuTTY files start at their own keyword. */
const pemStart = (text: string, hit: number): number => {
  if (text.startsWith('PuTTY-User-Key-File', hit)) return hit;
  const begin = text.lastIndexOf('-----BEGIN ', hit);
  return begin !== -1 && hit - begin <= 60 ? begin : -1;
};

const PRIVATE_KEY = keywordRule(
  'private_key',
  ['private key', 'putty-user-key-file'],
  /-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d+:/y,
  { startAt: pemStart },
);

/**
 * Vendor token formats (OpenAI, Anthropic, AWS access key ids, GitHub, Slack, Stripe, Google, GitLab,
 * Hugging Face, npm, SendGrid, xAI, Groq, Google OAuth, and aisbf's own tokens). The captured body
 * must look random, so `sk-your-key-here` placeholders are not secrets.
 */
const API_KEY = keywordRule(
  'api_key',
  [
    'sk-',
    'sk_',
    'rk_',
    'akia',
    'asia',
    'abia',
    'acca',
    'ghp_',
    'gho_',
    'ghu_',
    'ghs_',
    'ghr_',
    'github_pat_',
    'xox',
    'aiza',
    'glpat-',
    'hf_',
    'npm_',
    'sg.',
    'xai-',
    'gsk_',
    'ya29.',
    'aisbf_',
  ],
  /(?:sk-ant-[a-z0-9]{2,12}-([A-Za-z0-9_-]{20,300})|sk-(?:proj-|svcacct-|admin-|None-)?([A-Za-z0-9_-]{20,300})|(?:AKIA|ASIA|ABIA|ACCA)([A-Z0-9]{16})(?![A-Za-z0-9])|gh[pousr]_([A-Za-z0-9]{36,255})|github_pat_([A-Za-z0-9_]{22,255})|xox[abposre]-([A-Za-z0-9-]{10,250})|[sr]k_(?:live|test)_([A-Za-z0-9]{16,250})|AIza([0-9A-Za-z_-]{35})|glpat-([A-Za-z0-9_-]{20,64})|hf_([A-Za-z0-9]{30,64})|npm_([A-Za-z0-9]{36})|SG\.([\w-]{22}\.[\w-]{43})|xai-([A-Za-z0-9]{40,120})|gsk_([A-Za-z0-9]{40,80})|ya29\.([\w-]{20,2048})|aisbf_([A-Za-z0-9_-]{20,200}))/y,
  {
    notAfter: /[\w-]/,
    accept: (m) => {
      const body = m.slice(1).find((g) => g !== undefined) ?? '';
      // AWS ids are upper-case + digits by construction: only fillers (AKIAXXXXXXXXXXXXXXXX) fail.
      if (m[3] !== undefined) return /\d/.test(body) && !/^(?:X+|0+)$/.test(body);
      return looksRandom(body, 10);
    },
  },
);

const SEPARATOR = String.raw`["'\]]?\s{0,5}(?:=>|:=|=|:)\s{0,5}`;
const KEY_PREFIX = /(?:api|access|account|secret|private|signing|encryption|master|license|auth)[_-]?$/i;

/**
 * Generic assignments of a high-entropy value to a secret-ish name, in code, env files, JSON, YAML and
 * query strings: `api_key=…`, `"client_secret": "…"`, `token: …`, `aws_secret_access_key = …`. A bare
 * `key` only counts with a telling prefix (`api_key`, `accountKey`): `{ key: 'user-profile-2' }` is not a secret.
 */
const SECRET_ASSIGNMENT = keywordRule(
  'secret',
  ['key', 'secret', 'token', 'credential', 'auth'],
  new RegExp(
    String.raw`(key|secret|token|credential|auth)[A-Za-z0-9_-]{0,20}` +
      SEPARATOR +
      String.raw`["'\x60]?([A-Za-z0-9_+/=.~-]{16,512})`,
    'iy',
  ),
  {
    accept: (m, text) => {
      if ((m[1] ?? '').toLowerCase() === 'key' && !KEY_PREFIX.test(text.slice(Math.max(0, m.index - 16), m.index)))
        return false;
      return looksRandom(m[2] ?? '');
    },
  },
);

/** `Authorization: Bearer …` / `Basic …` / `Token …` with a random-looking credential. */
const AUTH_HEADER = keywordRule(
  'secret',
  ['bearer', 'basic', 'token'],
  /(?:Bearer|Basic|Token)\s{1,3}([A-Za-z0-9._~+/=-]{16,4096})/y,
  {
    notAfter: /[A-Za-z]/,
    accept: (m) => looksRandom(m[1] ?? ''),
  },
);

const PASSWORD_AT = new RegExp(
  String.raw`(pass(?:w(?:or)?d|wort|phrase)?|pwd)(_[A-Za-z0-9]{1,20})?` +
    SEPARATOR +
    String.raw`(["'\x60]?)([^\s"'\x60,;]{1,256})`,
  'iy',
);

/**
 * Password assignments. Lower-case `pass` must not follow a letter (`compass`, `bypass`); camelCase
 * `dbPassword` and `DB_PASS` may. A value counts when it is quoted, or the name is an env-style
 * UPPER_CASE name, or the value is not a bare identifier/expression (`req.body.password`, `string`,
 * `${DB_PASS}`).
 */
function passwordAt(text: string, hit: number): boolean {
  const before = hit === 0 ? '' : (text[hit - 1] ?? '');
  const word = text.slice(hit, hit + 4);
  const camel = word[0] === 'P' && word[1] !== undefined && /[a-z]/.test(word[1]) && /[a-z]/.test(before);
  const upper = word === word.toUpperCase();
  if (/[A-Za-z]/.test(before) && !camel && !(upper && /[a-z_]/.test(before))) return false;
  PASSWORD_AT.lastIndex = hit;
  const m = PASSWORD_AT.exec(text);
  if (m === null) return false;
  const name = m[1] ?? '';
  const suffix = m[2] ?? '';
  const quoted = (m[3] ?? '') !== '';
  const value = (m[4] ?? '').replace(/[)}\]]+$/, '');
  if (isPlaceholder(value)) return false;
  // `password_min_length: 12`, `pass_rate = 0.9`: settings about passwords, not passwords.
  if (suffix !== '' && /^\d{1,3}(?:\.\d+)?$/.test(value)) return false;
  const envStyle = name === name.toUpperCase() && !/[a-z]/.test(suffix);
  return quoted || envStyle ? value.length >= 3 : value.length >= 4 && !isCodeExpression(value);
}

const PASSWORD: PrivacyRule = {
  category: 'password',
  keywords: ['pass', 'pwd'],
  scan(ctx: ScanContext) {
    return [...ctx.hits('pass'), ...ctx.hits('pwd')].some((hit) => passwordAt(ctx.text, hit));
  },
};

/** "my password is hunter2": prose, with a value that has a digit or symbol (or is quoted). */
const PASSWORD_PROSE = keywordRule(
  'password',
  ['pass', 'pwd'],
  /(?:password|passwort|pwd)\s(?:is|ist|was|lautet)[:\s]\s{0,3}(["'\x60]?)([^\s"'\x60]{4,64})/iy,
  {
    notAfter: /[A-Za-z]/,
    accept: (m) => {
      const value = (m[2] ?? '').replace(/[.,;!)]+$/, '');
      if (isPlaceholder(value)) return false;
      return (m[1] ?? '') !== '' || /[\d!#%^&*+=~@$]/.test(value);
    },
  },
);

/** From `://` back to the start of its scheme. */
const schemeStart = (text: string, hit: number): number => {
  let start = hit;
  while (start > 0 && hit - start < 21 && /[A-Za-z0-9+.-]/.test(text[start - 1] ?? '')) start--;
  return start === hit ? -1 : start;
};

/** `scheme://user:password@host` with a real password (not `${PASS}`, `<password>`, `****`). */
const URL_CREDENTIALS = keywordRule(
  'url_credentials',
  ['://'],
  /[A-Za-z][A-Za-z0-9+.-]{0,20}:\/\/([^\s:/@"'<>]{1,128}):([^\s/@"'<>]{1,128})@[A-Za-z0-9.[-]/y,
  {
    startAt: schemeStart,
    accept: (m) => !isPlaceholder(m[2] ?? ''),
  },
);

const JWT = keywordRule('jwt', ['eyj'], /eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,2048}/y, {
  notAfter: /[\w-]/,
});

export const SECRET_RULES: readonly PrivacyRule[] = [
  PRIVATE_KEY,
  API_KEY,
  SECRET_ASSIGNMENT,
  AUTH_HEADER,
  PASSWORD,
  PASSWORD_PROSE,
  URL_CREDENTIALS,
  JWT,
];
