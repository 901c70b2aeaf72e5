import { describe, expect, it } from 'vitest';
import { compilePrivatePatterns, detectPrivacy } from './detect-privacy';
import type { PrivacyCategory } from './privacy-category';

/**
 * Table-driven corpus (docs/autoselect.md): positives across every category and look-alike negatives.
 * Secret-shaped strings are generated from a seeded PRNG at run time, so the repository holds no
 * string a secret scanner would flag, and every run sees the same corpus.
 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(7);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const r = (n: number, alphabet = ALNUM): string => {
  let s = '';
  while (s.length < n) s += alphabet[Math.floor(rnd() * alphabet.length)];
  // Guarantee mixed classes, as real keys have (a pure-letter draw is possible in 16 characters).
  return alphabet === ALNUM ? `${s.slice(0, n - 2)}7q` : s;
};
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const HEX = '0123456789abcdef';
const B64URL = `${ALNUM}-_`;
const b64url = (s: string): string => Buffer.from(s).toString('base64url');
const jwt = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url('{"sub":"1234567890","name":"Jane","iat":1516239022}')}.${r(43, B64URL)}`;
const pem = (label: string): string =>
  `-----BEGIN ${label}-----\n${r(64, `${ALNUM}+/`)}\n${r(64, `${ALNUM}+/`)}\n-----END ${label}-----`;
const dataUrl = `data:image/png;base64,iVBORw0KGgo${r(4000, `${ALNUM}+/`)}AKIA${r(16, UPPER_NUM)}+sk-proj-${r(48)}==`;

type Sample = { name: string; messages: unknown[] | string; expect?: PrivacyCategory; patterns?: string[] };
const u = (text: string): unknown[] => [{ role: 'user', content: text }];

const positives: Sample[] = [
  { name: 'openai project key', messages: u(`Here is my key: sk-proj-${r(48, B64URL)}`), expect: 'api_key' },
  { name: 'openai legacy key in env', messages: u(`OPENAI_API_KEY=sk-${r(48)}`), expect: 'api_key' },
  {
    name: 'anthropic key',
    messages: u(`client = Anthropic(api_key="sk-ant-api03-${r(93, B64URL)}AA")`),
    expect: 'api_key',
  },
  {
    name: 'aws access key id',
    messages: u(`aws configure set aws_access_key_id AKIA${r(16, UPPER_NUM)}`),
    expect: 'api_key',
  },
  {
    name: 'github classic token',
    messages: u(`git clone https://ghp_${r(36)}@github.com/acme/repo`),
    expect: 'api_key',
  },
  { name: 'github fine-grained token', messages: u(`GH_TOKEN: github_pat_11${r(20)}_${r(59)}`), expect: 'api_key' },
  { name: 'slack bot token', messages: u(`slack token xoxb-123456789012-1234567890123-${r(24)}`), expect: 'api_key' },
  { name: 'stripe live key', messages: u(`stripe.api_key = "sk_live_${r(24)}"`), expect: 'api_key' },
  { name: 'google api key', messages: u(`maps url ...&key=AIza${r(35, B64URL)}`), expect: 'api_key' },
  { name: 'gitlab token', messages: u(`export GITLAB_TOKEN=glpat-${r(20)}`), expect: 'api_key' },
  { name: 'hugging face token', messages: u(`login with hf_${r(34)}`), expect: 'api_key' },
  { name: 'aisbf token', messages: u(`curl -H "Authorization: Bearer aisbf_${r(43, B64URL)}" ...`), expect: 'api_key' },
  { name: 'generic api_key hex', messages: u(`api_key = "${r(32, HEX)}"`), expect: 'secret' },
  { name: 'json client_secret', messages: u(`{"client_id": "web", "client_secret": "${r(40)}"}`), expect: 'secret' },
  { name: 'aws secret access key', messages: u(`aws_secret_access_key = ${r(38, `${ALNUM}/+`)}/K`), expect: 'secret' },
  { name: 'bearer header', messages: u(`Authorization: Bearer ${r(40, B64URL)}`), expect: 'secret' },
  { name: 'yaml token', messages: u(`webhook:\n  token: ${r(32)}\n`), expect: 'secret' },
  {
    name: 'token in query string',
    messages: u(`GET https://api.vendor.io/v1/data?access_token=${r(32)}&page=2`),
    expect: 'secret',
  },
  { name: 'rsa private key', messages: u(`my key:\n${pem('RSA PRIVATE KEY')}`), expect: 'private_key' },
  { name: 'openssh private key', messages: u(pem('OPENSSH PRIVATE KEY')), expect: 'private_key' },
  { name: 'ec private key', messages: u(pem('EC PRIVATE KEY')), expect: 'private_key' },
  { name: 'pgp private key block', messages: u(pem('PGP PRIVATE KEY BLOCK')), expect: 'private_key' },
  { name: 'pkcs8 private key', messages: u(pem('PRIVATE KEY')), expect: 'private_key' },
  { name: 'env PASSWORD', messages: u('PASSWORD=hunter2\nPORT=8080'), expect: 'password' },
  { name: 'env DB_PASS', messages: u('DB_HOST=db\nDB_PASS=S3cr3t!x'), expect: 'password' },
  { name: 'quoted password', messages: u(`connect(host, password: "Tr0ub4dor&3")`), expect: 'password' },
  { name: 'camelCase dbPassword', messages: u(`const dbPassword = 'correcthorse';`), expect: 'password' },
  { name: 'cli --password=', messages: u('mysql -u root --password=Sup3rS3cret prod'), expect: 'password' },
  {
    name: 'prose password',
    messages: u('My password is Winter2024! can you check why login fails?'),
    expect: 'password',
  },
  { name: 'json password', messages: u(`{"user":"ops","password":"p@ssw0rd123"}`), expect: 'password' },
  { name: 'german Passwort', messages: u('Benutzer: admin\nPasswort: Geheim123'), expect: 'password' },
  { name: 'yaml password', messages: u('datasource:\n  username: app\n  password: hunter22\n'), expect: 'password' },
  {
    name: 'postgres url credentials',
    messages: u('DATABASE_URL=postgres://admin:Xy7!kq2@db.internal.corp:5432/prod'),
    expect: 'url_credentials',
  },
  {
    name: 'mongodb url credentials',
    messages: u(`mongodb+srv://app:${r(16)}@cluster0.abcde.mongodb.net/`),
    expect: 'url_credentials',
  },
  {
    name: 'https url credentials',
    messages: u(`git remote add origin https://deploy:${r(20)}@git.company.com/repo.git`),
    expect: 'url_credentials',
  },
  {
    name: 'redis url credentials',
    messages: u('REDIS_URL=redis://default:s3cr3tpw@10.0.0.5:6379'),
    expect: 'url_credentials',
  },
  { name: 'jwt', messages: u(`decode this: ${jwt}`), expect: 'jwt' },
  { name: 'jwt in cookie', messages: u(`Cookie: session=${jwt}; Path=/`), expect: 'jwt' },
  { name: 'gmail address', messages: u('Please reply to jane.doe@gmail.com about the refund'), expect: 'email' },
  { name: 'company email', messages: u('Kunde: m.mueller@firma-gmbh.de hat angerufen'), expect: 'email' },
  { name: 'plus address', messages: u('cc john+billing@company.co.uk'), expect: 'email' },
  {
    name: 'email in content parts',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'who is' },
          { type: 'text', text: 'sarah.connor@skynet.io' },
        ],
      },
    ],
    expect: 'email',
  },
  { name: 'german phone +49', messages: u('Call me on +49 30 12345678 tomorrow'), expect: 'phone' },
  { name: 'us phone +1', messages: u('Phone +1 (415) 555-0132'), expect: 'phone' },
  { name: 'us phone local', messages: u('reach me at (415) 555-0132'), expect: 'phone' },
  { name: 'labelled landline', messages: u('Tel: 030 1234567'), expect: 'phone' },
  { name: 'uk phone', messages: u('ring +44 20 7946 0958'), expect: 'phone' },
  { name: 'labelled mobile', messages: u('mobile: 0171-2345678'), expect: 'phone' },
  { name: 'german iban grouped', messages: u('IBAN DE89 3704 0044 0532 0130 00 please'), expect: 'iban' },
  { name: 'uk iban compact', messages: u('pay to GB82WEST12345698765432'), expect: 'iban' },
  { name: 'french iban', messages: u('FR14 2004 1010 0505 0001 3M02 606'), expect: 'iban' },
  { name: 'dutch iban', messages: u('rekening NL91ABNA0417164300.'), expect: 'iban' },
  { name: 'lower-case iban after its label', messages: u('iban: de89 3704 0044 0532 0130 00'), expect: 'iban' },
  { name: 'visa grouped', messages: u('card 4111 1111 1111 1111 exp 12/27'), expect: 'card_number' },
  { name: 'mastercard dashed', messages: u('5555-5555-5555-4444'), expect: 'card_number' },
  { name: 'amex', messages: u('amex 378282246310005'), expect: 'card_number' },
  { name: 'discover', messages: u('6011111111111117'), expect: 'card_number' },
  { name: 'visa compact', messages: u('card=4012888888881881;'), expect: 'card_number' },
  { name: 'us ssn', messages: u('SSN: 219-09-9999'), expect: 'national_id' },
  { name: 'uk national insurance', messages: u('NI number AB 12 34 56 C'), expect: 'national_id' },
  { name: 'public ipv4', messages: u('the attacker came from 84.17.45.210 last night'), expect: 'ip_address' },
  { name: 'ssh to public ip', messages: u('ssh root@185.199.108.153'), expect: 'ip_address' },
  { name: 'public ipv6', messages: u('client 2a00:1450:4001:82a::200e connected'), expect: 'ip_address' },
  { name: 'date of birth iso', messages: u('Date of birth: 1984-03-12'), expect: 'customer_record' },
  { name: 'dob us', messages: u('DOB: 03/12/1984'), expect: 'customer_record' },
  {
    name: 'name and address',
    messages: u('Name: Maria Schmidt\nAddress: Hauptstraße 5, 10115 Berlin'),
    expect: 'customer_record',
  },
  {
    name: 'name and account',
    messages: u('Customer: John Smith\nAccount number: 12345678\nIssue: double charge'),
    expect: 'customer_record',
  },
  {
    name: 'name and street',
    messages: u('Full name: Peter Parker\nlives at 20 Ingram Street, Queens'),
    expect: 'customer_record',
  },
  {
    name: 'csv export',
    messages: u('first_name,last_name,email,phone,city\nJane,Roe,jr@mail,555,Oslo'),
    expect: 'customer_record',
  },
  {
    name: 'custom pattern',
    messages: u('Roadmap for Project Bluebird, Q3'),
    expect: 'custom',
    patterns: ['project\\s+bluebird'],
  },
  {
    name: 'secret beside an image part',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: dataUrl } },
          { type: 'text', text: `key AKIA${r(16, UPPER_NUM)}` },
        ],
      },
    ],
    expect: 'api_key',
  },
  {
    name: 'password in tool-call arguments',
    messages: [
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'login', arguments: '{"password":"Xk9#pq"}' } }],
      },
    ],
    expect: 'password',
  },
  {
    name: 'email and iban together (acceptance)',
    messages: u('Refund customer anna.berg@web.de to IBAN DE89370400440532013000'),
    expect: 'iban',
  },
  {
    name: 'credentials in remote image url',
    messages: [
      {
        role: 'user',
        content: [{ type: 'image_url', image_url: { url: 'https://bob:Passw0rd9@cdn.corp.net/x.png' } }],
      },
    ],
    expect: 'url_credentials',
  },
  // Written after the rules, as a held-out check (they passed unchanged).
  { name: 'email upper', messages: u('Contact: JOHN.DOE@ACME-CORP.COM') },
  { name: 'email in angle', messages: u('From: "Bob" <bob.smith@outlook.com>') },
  { name: 'phone fr', messages: u('Appelez-moi au +33 6 12 34 56 78') },
  { name: 'phone dots', messages: u('phone: 555.867.5309') },
  { name: 'iban be', messages: u('BE68 5390 0754 7034') },
  { name: 'iban ch', messages: u('CH93 0076 2011 6238 5295 7') },
  { name: 'card mc 2-series', messages: u('2223 0031 2200 3222') },
  {
    name: 'jwt bare',
    messages: u(
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    ),
  },
  { name: 'pw yaml quoted', messages: u("password: 'letmein99'") },
  { name: 'pw env export', messages: u('export MYSQL_ROOT_PASSWORD=r00tpw!') },
  { name: 'pw docker', messages: u('docker run -e POSTGRES_PASSWORD=mysecretpassword postgres') },
  { name: 'secret in header', messages: u('X-Api-Key: 9f8e7d6c5b4a39281706f5e4d3c2b1a0') },
  { name: 'private key enc', messages: u('-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE') },
  { name: 'ip public in log', messages: u('Failed password for root from 45.33.32.156 port 22 ssh2') },
  { name: 'dob words', messages: u('born on 12 March 1984') },
  {
    name: 'slack webhook token',
    messages: u('xoxp-2345678901-2345678901-2345678901-abcdef1234567890abcdef1234567890'),
  },
  { name: 'url cred ftp', messages: u('ftp://backup:Zq8!x2@files.corp.net/dump.sql') },
  { name: 'ssn bare', messages: u('his SSN is 078-05-1120') },
  { name: 'aws secret env', messages: u('AWS_SECRET_ACCESS_KEY=Kx9pR2mQ7vT4wY8zB3nC6dF1gH5jL0sA2eU7iO4q') },
  { name: 'stripe restricted', messages: u('rk_live_51H8xYzAbCdEfGhIjKlMnOpQr') },
  {
    name: 'secret in old message',
    messages: [...u(`token=${r(40)}`), { role: 'assistant', content: 'ok' }, ...u('now refactor')],
    expect: 'secret',
  },
];

const negatives: Sample[] = [
  { name: 'uuid request id', messages: u('request id 550e8400-e29b-41d4-a716-446655440000 failed') },
  { name: 'uuid field', messages: u('uuid: 123e4567-e89b-12d3-a456-426614174000') },
  { name: 'git sha', messages: u('commit 3f786850e387550fdab836ed7e6dc881de23001b\nAuthor: CI') },
  { name: 'short shas', messages: u('fixed in a1b2c3d and 9f8e7d6, reverted 0c1d2e3') },
  { name: 'sha256 digest', messages: u('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855') },
  {
    name: 'docker digest',
    messages: u('image: nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31'),
  },
  { name: 'semver', messages: u('upgrade to v1.2.3 then 2.0.0-rc.1') },
  { name: 'node version', messages: u('node 20.19.0 and pnpm 12.0.1') },
  { name: 'pip pin', messages: u('requests==2.31.0\nurllib3>=1.26.18') },
  { name: 'windows build', messages: u('Windows 10.0.19041.1 build') },
  { name: 'four-part version', messages: u('version 1.2.3.4 of the driver') },
  { name: 'semver range', messages: u('"react": "^18.2.0 || ~17.0.2"') },
  {
    name: 'base64 image part',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is in this?' },
          { type: 'image_url', image_url: { url: dataUrl } },
        ],
      },
    ],
  },
  { name: 'base64 data url in text', messages: u(`<img src="${dataUrl}">`) },
  { name: 'env reference', messages: u('const apiKey = process.env.OPENAI_API_KEY;') },
  { name: 'form field', messages: u("password = request.form['password']") },
  { name: 'python signature', messages: u('def check_password(password: str) -> bool:\n    return verify(password)') },
  { name: 'ts interface', messages: u('interface User { password: string; email: string }') },
  { name: 'github actions secret', messages: u('api_key: ${{ secrets.OPENAI_API_KEY }}') },
  { name: 'url with env password', messages: u('DATABASE_URL=postgres://user:${DB_PASSWORD}@localhost:5432/app') },
  { name: 'url with placeholder password', messages: u('postgres://user:password@localhost/db') },
  { name: 'url with angle placeholder', messages: u('https://<user>:<password>@host/path') },
  { name: 'docs email', messages: u('set EMAIL=admin@example.com in .env') },
  { name: 'ssh remote', messages: u('git clone git@github.com:acme/widgets.git') },
  { name: 'retina asset', messages: u('use logo@2x.png and icon@3x.webp') },
  { name: 'npm version tag', messages: u('install lodash@4.17.21 and @types/node@20') },
  { name: 'decorators', messages: u('@property\ndef name(self): ...\n@app.get("/")') },
  { name: 'loopback', messages: u('listening on 127.0.0.1:8080') },
  { name: 'lan ip', messages: u('router at 192.168.1.10, nas at 10.0.0.5, vpn 172.16.4.2') },
  { name: 'docs ip', messages: u('example: 203.0.113.7 and 198.51.100.23') },
  { name: 'bind all', messages: u('bind 0.0.0.0 and 255.255.255.0 mask') },
  { name: 'ipv6 loopback and link-local', messages: u('::1 and fe80::1ff:fe23:4567:890a') },
  { name: 'ipv6 docs prefix', messages: u('2001:db8::8a2e:370:7334') },
  { name: 'c++ scope', messages: u('std::vector<int> v; std::map<std::string, int> m;') },
  { name: 'mac address', messages: u('ether 00:1A:2B:3C:4D:5E') },
  { name: 'dates', messages: u('between 2024-01-15 and 15.01.2024 or 01/15/2024') },
  { name: 'times', messages: u('at 12:30:45 and 23:59') },
  { name: 'iso timestamp', messages: u('2024-01-15T10:00:00+01:00 started') },
  { name: 'epoch ms', messages: u('createdAt: 1700000000000') },
  { name: 'long non-card number', messages: u('order 1234567890123456 shipped') },
  { name: 'invalid luhn', messages: u('4111 1111 1111 1112') },
  { name: 'invalid iban checksum', messages: u('DE89 3704 0044 0532 0130 01') },
  { name: 'iban label, bad checksum', messages: u('IBAN: de89 3704 0044 0532 0130 01') },
  { name: 'isbn', messages: u('ISBN 978-3-16-148410-0') },
  { name: 'hex color and error code', messages: u('color #ff00aa, HRESULT 0x80070005') },
  { name: 'port mapping', messages: u('ports:\n  - "3000:3000"\n  - 8080:80') },
  { name: 'max_tokens', messages: u('max_tokens: 4096\ntemperature: 0.2') },
  { name: 'tokenizer', messages: u('tokenizer: cl100k_base') },
  { name: 'token expression', messages: u('token = tokenizer.encode(text)') },
  { name: 'rails credentials', messages: u('secret_key_base = Rails.application.credentials.secret_key_base') },
  { name: 'sklearn', messages: u('wrap it in sk-learn-compatible-estimator-wrapper-class') },
  { name: 'key placeholder', messages: u('OPENAI_API_KEY=sk-your-api-key-here') },
  { name: 'aws placeholder', messages: u('AKIAXXXXXXXXXXXXXXXX') },
  { name: 'bearer placeholder', messages: u('Authorization: Bearer <token>') },
  { name: 'bearer prose', messages: u('The Authorization header carries a Bearer token for every request.') },
  { name: 'password setting', messages: u('password_min_length: 12\npassword_expiry_days = 90') },
  { name: 'bypass and compass', messages: u('bypass: true\ncompass = 3\npassed: 10') },
  { name: 'password advice', messages: u('Choose a strong password with at least 12 characters.') },
  { name: 'password is prose', messages: u('the password is required and the password is incorrect') },
  { name: 'math', messages: u('x = 5 + 3 * 2; y = 100 - 20') },
  { name: 'diff hunk', messages: u('@@ -12,7 +12,8 @@ export function f()') },
  { name: 'jwt prose', messages: u('JWTs start with eyJ because of the base64 of {"') },
  { name: 'ssh public key', messages: u(`ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ${r(300, `${ALNUM}+/`)} me@laptop`) },
  { name: 'public key pem', messages: u(pem('PUBLIC KEY')) },
  { name: 'certificate pem', messages: u(pem('CERTIFICATE')) },
  { name: 'package yaml', messages: u('name: my-package\nversion: 1.0.0\nmain: index.js') },
  { name: 'k8s yaml', messages: u('metadata:\n  name: nginx\nspec:\n  clusterIP: 10.96.0.1') },
  { name: 'csv without personal columns', messages: u('id,title,price,quantity\n1,Widget,9.99,3') },
  { name: 'sql columns', messages: u('SELECT name, email FROM users WHERE id = ?') },
  { name: 'django field', messages: u('phone_number = models.CharField(max_length=20)') },
  { name: 'thousands', messages: u('revenue 1,234,567.89 and 12 345 678') },
  { name: 'css', messages: u('.btn { margin: 0 4px; color: rgba(0, 0, 0, 0.5); }') },
  {
    name: 'refactoring request',
    messages: u('Please refactor this function to use async/await:\nfunction load(cb) { fs.readFile(p, cb) }'),
  },
  // Written after the rules, as a held-out check (they passed unchanged).
  { name: 'k8s secret ref', messages: u('valueFrom:\n  secretKeyRef:\n    name: db-secret\n    key: password') },
  { name: 'hash in url', messages: u('https://github.com/org/repo/commit/9fceb02d0ae598e95dc970b74767f19372d61af8') },
  {
    name: 'npm integrity',
    messages: u(
      '"integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXGOBQ5kmbmgMBB1ekJpxqbRhEOCQ=="',
    ),
  },
  { name: 'build id', messages: u('build 20241115.3 deployed to 4 pods') },
  { name: 'coordinates', messages: u('lat 52.520008, lon 13.404954') },
  { name: 'version four', messages: u('Chrome/120.0.6099.129 Safari/537.36') },
  { name: 'phone-ish id', messages: u('Order ID: 2024-0012-3456') },
  { name: 'file path', messages: u('/usr/lib/x86_64-linux-gnu/libssl.so.3') },
  { name: 'css token', messages: u('--token-color-primary: #3b82f6;') },
  {
    name: 'password reset flow',
    messages: u('Implement the password reset flow: send a token by email, expire it after 1 hour.'),
  },
  { name: 'token counts', messages: u('prompt_tokens: 1234, completion_tokens: 567, total_tokens: 1801') },
  { name: 'jest snapshot', messages: u('exports[`renders 1`] = `<div class="a">`;') },
  { name: 'uuid v7', messages: u('0190e3b1-7c2a-7b1e-9f3c-5a6b7c8d9e0f') },
  { name: 'base64 config', messages: u('data: eyJmb28iOiJiYXIifQ==') },
  { name: 'env template', messages: u('API_KEY=\nSECRET_KEY=\nDATABASE_PASSWORD=') },
  { name: 'python kwargs', messages: u('connect(user=user, password=password, host=host)') },
  { name: 'ipv4 mask', messages: u('netmask 255.255.240.0 broadcast 10.1.15.255') },
  { name: 'long number', messages: u('population 8045311447') },
  { name: 'isbn13', messages: u('9780306406157') },
  { name: 'secret manager path', messages: u('secret_name = "projects/my-proj/secrets/db-pass/versions/latest"') },
  { name: 'function names', messages: u('getApiKey(), refreshAccessToken(), validatePasswordStrength()') },
];

function run(sample: Sample) {
  if (sample.patterns === undefined) return detectPrivacy(sample.messages);
  const compiled = compilePrivatePatterns(sample.patterns);
  if (!compiled.ok) throw new Error(compiled.error);
  return detectPrivacy(sample.messages, { extraPatterns: compiled.value });
}

describe('privacy detector corpus', () => {
  it('has at least 60 samples on each side', () => {
    expect(positives.length).toBeGreaterThanOrEqual(60);
    expect(negatives.length).toBeGreaterThanOrEqual(60);
  });

  it('finds every positive (0 false negatives) with its expected category', () => {
    const missed = positives.filter((s) => !run(s).private).map((s) => s.name);
    const wrongCategory = positives
      .filter((s) => s.expect !== undefined && !run(s).findings.includes(s.expect))
      .map((s) => `${s.name}: ${run(s).findings.join(',')}`);
    expect(missed).toEqual([]);
    expect(wrongCategory).toEqual([]);
  });

  it('keeps false positives on look-alikes at or below 5 %, and prints precision/recall', () => {
    const falsePositives = negatives
      .filter((s) => run(s).private)
      .map((s) => `${s.name}: ${run(s).findings.join(',')}`);
    const tp = positives.filter((s) => run(s).private).length;
    const fp = falsePositives.length;
    const precision = tp / (tp + fp);
    const recall = tp / positives.length;
    console.log(
      `privacy corpus: ${positives.length} positives, ${negatives.length} negatives; recall ${(recall * 100).toFixed(1)} %, ` +
        `precision ${(precision * 100).toFixed(1)} %, false-positive rate ${((fp / negatives.length) * 100).toFixed(1)} %` +
        (fp > 0 ? `; false positives: ${falsePositives.join('; ')}` : ''),
    );
    expect(fp / negatives.length).toBeLessThanOrEqual(0.05);
  });
});
