import { ibanValid, luhnValid, plausibleCardNumber } from './checksums';
import { parseIpv4, publicIpv4, publicIpv6 } from './ip-address';
import { createScanner, digitRule, globalRule, keywordRule, type PrivacyRule, type ScanContext } from './privacy-scan';
import { isCodeExpression, isPlaceholder, looksRandom } from './secret-heuristics';

/**
 * The detector's rule table (issue 7). Each rule finds a shape and `accept`s it only after the checks
 * that keep look-alikes out: checksums (IBAN mod-97, Luhn), entropy and placeholder tests for secrets,
 * reserved ranges for IPs and domains. Patterns are linear: bounded quantifiers, no nested repetition.
 * Keywords are lower-case; see privacy-scan.ts for how they are found in one pass.
 */

// --- secrets --------------------------------------------------------------------------------------

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
  ['sk-', 'sk_', 'rk_', 'akia', 'asia', 'abia', 'acca', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_', 'xox', 'aiza', 'glpat-', 'hf_', 'npm_', 'sg.', 'xai-', 'gsk_', 'ya29.', 'aisbf_'],
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
  new RegExp(String.raw`(key|secret|token|credential|auth)[A-Za-z0-9_-]{0,20}` + SEPARATOR + String.raw`["'\x60]?([A-Za-z0-9_+/=.~-]{16,512})`, 'iy'),
  {
    accept: (m, text) => {
      if ((m[1] ?? '').toLowerCase() === 'key' && !KEY_PREFIX.test(text.slice(Math.max(0, m.index - 16), m.index))) return false;
      return looksRandom(m[2] ?? '');
    },
  },
);

/** `Authorization: Bearer …` / `Basic …` / `Token …` with a random-looking credential. */
const AUTH_HEADER = keywordRule('secret', ['bearer', 'basic', 'token'], /(?:Bearer|Basic|Token)\s{1,3}([A-Za-z0-9._~+/=-]{16,4096})/y, {
  notAfter: /[A-Za-z]/,
  accept: (m) => looksRandom(m[1] ?? ''),
});

const PASSWORD_AT = new RegExp(
  String.raw`(pass(?:w(?:or)?d|wort|phrase)?|pwd)(_[A-Za-z0-9]{1,20})?` + SEPARATOR + String.raw`(["'\x60]?)([^\s"'\x60,;]{1,256})`,
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
const PASSWORD_PROSE = keywordRule('password', ['pass', 'pwd'], /(?:password|passwort|pwd)\s(?:is|ist|was|lautet)[:\s]\s{0,3}(["'\x60]?)([^\s"'\x60]{4,64})/iy, {
  notAfter: /[A-Za-z]/,
  accept: (m) => {
    const value = (m[2] ?? '').replace(/[.,;!)]+$/, '');
    if (isPlaceholder(value)) return false;
    return (m[1] ?? '') !== '' || /[\d!#%^&*+=~@$]/.test(value);
  },
});

/** From `://` back to the start of its scheme. */
const schemeStart = (text: string, hit: number): number => {
  let start = hit;
  while (start > 0 && hit - start < 21 && /[A-Za-z0-9+.-]/.test(text[start - 1] ?? '')) start--;
  return start === hit ? -1 : start;
};

/** `scheme://user:password@host` with a real password (not `${PASS}`, `<password>`, `****`). */
const URL_CREDENTIALS = keywordRule('url_credentials', ['://'], /[A-Za-z][A-Za-z0-9+.-]{0,20}:\/\/([^\s:/@"'<>]{1,128}):([^\s/@"'<>]{1,128})@[A-Za-z0-9.[-]/y, {
  startAt: schemeStart,
  accept: (m) => !isPlaceholder(m[2] ?? ''),
});

const JWT = keywordRule('jwt', ['eyj'], /eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,2048}/y, { notAfter: /[\w-]/ });

// --- personal data --------------------------------------------------------------------------------

/**
 * Documentation domains (RFC 2606 / RFC 6761) and SSH remotes (`git@github.com`) are not personal
 * data; neither are `logo@2x.png`-style asset names.
 */
const RESERVED_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost|local)$/i;
const FILE_EXTENSION_TLD = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'js', 'mjs', 'ts', 'css', 'json', 'html', 'txt', 'pdf', 'zip', 'gz', 'tgz', 'map', 'lock', 'yaml', 'yml', 'toml', 'wasm']);
const SSH_REMOTES = new Set(['git@github.com', 'git@gitlab.com', 'git@bitbucket.org', 'git@ssh.dev.azure.com']);
const DOMAIN_AT = /[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?){0,8}\.([A-Za-z]{2,24})(?![A-Za-z0-9-])/y;
const LOCAL_CHAR = /[A-Za-z0-9._%+-]/;

/** Emails, found from each `@` outwards: a left-anchored regex would rescan every word for an `@`. */
const EMAIL: PrivacyRule = {
  category: 'email',
  scan({ text }) {
    for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
      let start = at;
      while (start > 0 && at - start < 64 && LOCAL_CHAR.test(text[start - 1] ?? '')) start--;
      if (start === at || !/[A-Za-z0-9]/.test(text[start] ?? '')) continue;
      DOMAIN_AT.lastIndex = at + 1;
      const m = DOMAIN_AT.exec(text);
      if (m === null) continue;
      const domain = m[0];
      if (RESERVED_DOMAIN.test(domain) || FILE_EXTENSION_TLD.has((m[1] ?? '').toLowerCase())) continue;
      if (SSH_REMOTES.has(`${text.slice(start, at)}@${domain}`.toLowerCase())) continue;
      return true;
    }
    return false;
  },
};

const digitCount = (s: string): number => s.replace(/\D/g, '').length;

/** International numbers: `+` and 8–15 digits with the usual separators (E.164). */
const PHONE_INTL = digitRule('phone', /\+[1-9][\d ().\/-]{6,24}\d(?!\d)/y, {
  offsets: [-1],
  notAfter: /[\w+]/,
  accept: (m) => {
    const n = digitCount(m[0]);
    return n >= 8 && n <= 15 && !/[ .()/-]{3}/.test(m[0]);
  },
});

/** North American numbers: (555) 123-4567, 555-123-4567, 555.123.4567. */
const PHONE_NANP = digitRule('phone', /(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[-. ])\d{3}[-. ]\d{4}(?![\w-]|\.\d)/y, { offsets: [0, -1], notAfter: /[\w.+-]/ });

/** Any local format after a label: `Tel: 030 1234567`, `mobile 0171-2345678`. */
const PHONE_LABELLED = keywordRule(
  'phone',
  ['phone', 'tel', 'mobil', 'cell', 'fax', 'handy', 'whatsapp'],
  /(?:phone|telefon|tel|mobile|mobil|cell|fax|handy|whatsapp)\.?(?:\s?(?:no|number|nr|#)\.?)?\s{0,3}[:=]?\s{0,3}(\+?\(?\d[\d ()./-]{4,20}\d)/iy,
  {
    notAfter: /[A-Za-z]/,
    accept: (m) => {
      const n = digitCount(m[1] ?? '');
      return n >= 6 && n <= 15;
    },
  },
);

/** Upper-case IBANs, grouped or not, checked by country length and mod-97. */
const IBAN = globalRule('iban', /[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])/g, {
  notAfter: /[A-Za-z0-9]/,
  accept: (m) => ibanValid(m[0].replace(/ /g, '')),
});

/** After the word `IBAN`, any case and spacing (`iban: de89 3704 …`), same checks. */
const IBAN_LABELLED = keywordRule('iban', ['iban'], /iban\W{0,3}([a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,4})?)(?![a-z0-9])/iy, {
  notAfter: /[A-Za-z]/,
  accept: (m) => ibanValid((m[1] ?? '').replace(/ /g, '').toUpperCase()),
});

/** 13–19 digits (single spaces or dashes between) with a card network prefix and a Luhn check. */
const CARD = digitRule('card_number', /\d{4}(?:[ -]?\d){9,15}(?!\d)/y, {
  notAfter: /[\d.,-]/,
  accept: (m) => {
    const digits = m[0].replace(/\D/g, '');
    const tries = new Set([digits]);
    // A card followed by another number group (`4111 1111 1111 1111 12/27`) also matches: try the card part.
    if (/[ -]/.test(m[0])) for (const len of [16, 15]) if (digits.length > len) tries.add(digits.slice(0, len));
    for (const d of tries) if (plausibleCardNumber(d) && luhnValid(d)) return true;
    return false;
  },
});

/** US SSN (valid area/group/serial). */
const US_SSN = digitRule('national_id', /(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])/y, { notAfter: /[\w-]/ });

/** UK National Insurance numbers (`AB 12 34 56 C`): found from their digits, two or three back. */
const UK_NINO = digitRule('national_id', /(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/y, {
  offsets: [-2, -3],
  notAfter: /[A-Za-z0-9]/,
});

const VERSION_BEFORE = /(?:version|ver\.?|release|build|v|==|>=|<=|~|\^)\s{0,2}$/i;

/**
 * Public IPv4 addresses (not loopback/RFC 1918/documentation ranges, see ip-address.ts). `1.2.3.4`
 * with only one-digit parts reads as a version number and does not count, nor does a dotted quad
 * after `version`/`v`.
 */
const IPV4 = digitRule('ip_address', /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)/y, {
  notAfter: /[\w.]/,
  accept: (m, text) => {
    const octets = parseIpv4(m[0]);
    if (octets === null || !publicIpv4(octets)) return false;
    if (octets.every((o) => o < 10)) return false;
    return !VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 12), m.index));
  },
});

/** Global unicast IPv6, found from its `::` or, written out in full, by its own pattern. */
const IPV6 = globalRule('ip_address', /[23][0-9a-fA-F]{3}:[0-9a-fA-F]{0,4}:[0-9a-fA-F:]{1,35}(?![\w:])/g, {
  notAfter: /[\w:]/,
  accept: (m) => publicIpv6(m[0]),
});

const DATE = String.raw`(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}\.? [A-Za-z]{3,9}\.? \d{4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})`;

/** A labelled date of birth is personal data on its own. */
const DATE_OF_BIRTH = keywordRule(
  'customer_record',
  ['birth', 'born', 'dob', 'd.o.b', 'geb', 'nacimiento', 'naissance'],
  new RegExp(
    String.raw`(?:birth ?date|birthday|birth|born(?: on)?|d\.?o\.?b\.?|geburtsdatum|geboren(?: am)?|geb\.|nacimiento|naissance)\s{0,3}[:=]?\s{0,3}` + DATE,
    'iy',
  ),
  { notAfter: /[A-Za-z]/ },
);

const PERSON_NAME_LINE = /^[ \t]*(?:full[ _]?name|name|customer(?:[ _]name)?|client(?:[ _]name)?|patient(?:[ _]name)?|contact(?:[ _]name)?|account holder|kunde|vorname|nachname)[ \t]*[:=][ \t]*["']?[A-Z][a-z'-]+(?:[ \t]+[A-Z][a-z'.-]+)+/im;
const RECORD_FIELD_LINE = /^[ \t]*(?:address|street|postal[ _]?code|post ?code|zip(?:[ _]?code)?|city|account(?:[ _](?:number|no\.?|id))?|customer[ _](?:id|number|no\.?)|client[ _]id|patient[ _]id|member[ _]id|policy[ _](?:number|no\.?)|anschrift|adresse|straße|strasse|plz|kundennummer)[ \t]*[:=][ \t]*\S/im;
const STREET_ADDRESS = /\b\d{1,5}[ \t]+(?:[A-Z][a-z]+[ \t]+){1,3}(?:Street|St\.|Avenue|Ave\.?|Road|Rd\.|Boulevard|Blvd\.?|Lane|Ln\.|Drive|Dr\.|Court|Ct\.|Way|Place|Pl\.)(?![A-Za-z])|\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|weg|gasse|allee|platz|ring)[ \t]+\d{1,4}[a-z]?\b/;

/** A person's name line next to an address, account or customer-id line: a customer record. */
const NAME_LABELS = ['name', 'customer', 'client', 'patient', 'contact', 'holder', 'kunde'];

const LABELLED_RECORD: PrivacyRule = {
  category: 'customer_record',
  keywords: NAME_LABELS,
  scan({ text, hits }) {
    // The multi-line pattern is costly on long text: only run it when a label word occurs at all.
    if (!NAME_LABELS.some((k) => hits(k).length > 0)) return false;
    if (!PERSON_NAME_LINE.test(text)) return false;
    return RECORD_FIELD_LINE.test(text) || STREET_ADDRESS.test(text);
  },
};

const PII_COLUMN = /^(?:(?:first|last|full|given|family|sur|customer|client)?[ _-]?name|surname|e-?mail(?:[ _-]?address)?|phone(?:[ _-]?number)?|mobile|address|street|city|zip|postcode|postal[ _-]?code|dob|date[ _-]?of[ _-]?birth|birth[ _-]?date|ssn|iban|card[ _-]?number|account[ _-]?number|customer[ _-]?id)$/i;

/** A CSV/TSV header naming three or more personal columns, followed by a data row. */
function csvHeaderAt(text: string, hit: number): boolean {
  const lineStart = text.lastIndexOf('\n', hit) + 1;
  const lineEnd = text.indexOf('\n', hit);
  if (lineEnd === -1 || lineEnd - lineStart > 2000) return false;
  const cells = text.slice(lineStart, lineEnd).split(/[,;\t|]/);
  if (cells.length < 3) return false;
  const personal = cells.filter((c) => PII_COLUMN.test(c.trim().replace(/^["']|["']$/g, ''))).length;
  const nextEnd = text.indexOf('\n', lineEnd + 1);
  const next = text.slice(lineEnd + 1, nextEnd === -1 ? Math.min(text.length, lineEnd + 2001) : nextEnd);
  return personal >= 3 && next.split(/[,;\t|]/).length >= 3;
}

const CSV_KEYWORDS = ['mail', 'phone', 'address', 'birth', 'dob', 'ssn', 'iban', 'surname', 'last_name', 'lastname', 'last name'];

const CSV_RECORDS: PrivacyRule = {
  category: 'customer_record',
  keywords: CSV_KEYWORDS,
  scan(ctx) {
    return CSV_KEYWORDS.some((k) => ctx.hits(k).some((hit) => csvHeaderAt(ctx.text, hit)));
  },
};

export const PRIVACY_RULES: readonly PrivacyRule[] = [
  PRIVATE_KEY,
  API_KEY,
  SECRET_ASSIGNMENT,
  AUTH_HEADER,
  PASSWORD,
  PASSWORD_PROSE,
  URL_CREDENTIALS,
  JWT,
  EMAIL,
  PHONE_INTL,
  PHONE_NANP,
  PHONE_LABELLED,
  IBAN,
  IBAN_LABELLED,
  CARD,
  US_SSN,
  UK_NINO,
  IPV4,
  IPV6,
  DATE_OF_BIRTH,
  LABELLED_RECORD,
  CSV_RECORDS,
];

/** Prepares a text for PRIVACY_RULES: the shared keyword and digit passes. */
export const scanPrivacyText = createScanner(PRIVACY_RULES);
