import { ibanValid, luhnValid, plausibleCardNumber } from './checksums';
import { parseIpv4, publicIpv4, publicIpv6 } from './ip-address';
import { digitRule, globalRule, keywordRule, type PrivacyRule } from './privacy-scan';

/**
 * Privacy rules for personal data: emails, phone numbers, IBANs, cards, national ids, IP addresses,
 * customer records (docs/autoselect.md). Checksums (IBAN mod-97, Luhn) and reserved ranges/domains keep
 * look-alikes out.
 */

/**
 * Documentation domains (RFC 2606 / RFC 6761) and SSH remotes (`git@github.com`) are not personal
 * data; neither are `logo@2x.png`-style asset names.
 */
const RESERVED_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost|local)$/i;
const FILE_EXTENSION_TLD = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'ico',
  'js',
  'mjs',
  'ts',
  'css',
  'json',
  'html',
  'txt',
  'pdf',
  'zip',
  'gz',
  'tgz',
  'map',
  'lock',
  'yaml',
  'yml',
  'toml',
  'wasm',
]);
const SSH_REMOTES = new Set(['git@github.com', 'git@gitlab.com', 'git@bitbucket.org', 'git@ssh.dev.azure.com']);
const DOMAIN_AT =
  /[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?){0,8}\.([A-Za-z]{2,24})(?![A-Za-z0-9-])/y;
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
const PHONE_NANP = digitRule('phone', /(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[-. ])\d{3}[-. ]\d{4}(?![\w-]|\.\d)/y, {
  offsets: [0, -1],
  notAfter: /[\w.+-]/,
});

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
const IBAN_LABELLED = keywordRule(
  'iban',
  ['iban'],
  /iban\W{0,3}([a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,4})?)(?![a-z0-9])/iy,
  {
    notAfter: /[A-Za-z]/,
    accept: (m) => ibanValid((m[1] ?? '').replace(/ /g, '').toUpperCase()),
  },
);

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
const US_SSN = digitRule('national_id', /(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])/y, {
  notAfter: /[\w-]/,
});

/** UK National Insurance numbers (`AB 12 34 56 C`): found from their digits, two or three back. */
const UK_NINO = digitRule(
  'national_id',
  /(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/y,
  {
    offsets: [-2, -3],
    notAfter: /[A-Za-z0-9]/,
  },
);

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
    String.raw`(?:birth ?date|birthday|birth|born(?: on)?|d\.?o\.?b\.?|geburtsdatum|geboren(?: am)?|geb\.|nacimiento|naissance)\s{0,3}[:=]?\s{0,3}` +
      DATE,
    'iy',
  ),
  { notAfter: /[A-Za-z]/ },
);

const PERSON_NAME_LINE =
  /^[ \t]*(?:full[ _]?name|name|customer(?:[ _]name)?|client(?:[ _]name)?|patient(?:[ _]name)?|contact(?:[ _]name)?|account holder|kunde|vorname|nachname)[ \t]*[:=][ \t]*["']?[A-Z][a-z'-]+(?:[ \t]+[A-Z][a-z'.-]+)+/im;
const RECORD_FIELD_LINE =
  /^[ \t]*(?:address|street|postal[ _]?code|post ?code|zip(?:[ _]?code)?|city|account(?:[ _](?:number|no\.?|id))?|customer[ _](?:id|number|no\.?)|client[ _]id|patient[ _]id|member[ _]id|policy[ _](?:number|no\.?)|anschrift|adresse|straße|strasse|plz|kundennummer)[ \t]*[:=][ \t]*\S/im;
const STREET_ADDRESS =
  /\b\d{1,5}[ \t]+(?:[A-Z][a-z]+[ \t]+){1,3}(?:Street|St\.|Avenue|Ave\.?|Road|Rd\.|Boulevard|Blvd\.?|Lane|Ln\.|Drive|Dr\.|Court|Ct\.|Way|Place|Pl\.)(?![A-Za-z])|\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|weg|gasse|allee|platz|ring)[ \t]+\d{1,4}[a-z]?\b/;

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

const PII_COLUMN =
  /^(?:(?:first|last|full|given|family|sur|customer|client)?[ _-]?name|surname|e-?mail(?:[ _-]?address)?|phone(?:[ _-]?number)?|mobile|address|street|city|zip|postcode|postal[ _-]?code|dob|date[ _-]?of[ _-]?birth|birth[ _-]?date|ssn|iban|card[ _-]?number|account[ _-]?number|customer[ _-]?id)$/i;

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

const CSV_KEYWORDS = [
  'mail',
  'phone',
  'address',
  'birth',
  'dob',
  'ssn',
  'iban',
  'surname',
  'last_name',
  'lastname',
  'last name',
];

const CSV_RECORDS: PrivacyRule = {
  category: 'customer_record',
  keywords: CSV_KEYWORDS,
  scan(ctx) {
    return CSV_KEYWORDS.some((k) => ctx.hits(k).some((hit) => csvHeaderAt(ctx.text, hit)));
  },
};

export const PERSONAL_DATA_RULES: readonly PrivacyRule[] = [
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
