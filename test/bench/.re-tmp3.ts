import { privacyScanText } from '../../packages/core/src/autoselect/detect-privacy';
const BLOCKS = [
  'Could you refactor the loader below so it uses async/await and reports errors through the logger? Keep the public API.\n',
  "export async function load(path: string): Promise<Config> {\n  const text = await fs.readFile(path, 'utf8');\n  const parsed = configSchema.safeParse(JSON.parse(text));\n  if (!parsed.success) throw new Error(`bad config at ${path}`);\n  return parsed.data;\n}\n",
  '2026-11-25T19:16:22.123Z INFO request 550e8400-e29b-41d4-a716-446655440000 from 10.0.3.17 took 123 ms (status 200)\n',
  '{"model":"gpt-4.1-mini","max_tokens":4096,"temperature":0.2,"version":"1.2.3","sha":"3f786850e387550fdab836ed7e6dc881de23001b"}\n',
  'The assistant answered with a long explanation of the difference between weighted and priority rotation strategies, with examples.\n',
  'password = request.form["password"]; token = tokenizer.encode(text); apiKey = process.env.OPENAI_API_KEY;\n',
  '| id | title | price | qty |\n|----|-------|-------|-----|\n| 1 | Widget | 9.99 | 3 |\n| 2 | Gadget | 19.50 | 12 |\n',
];
let text = '';
for (let i = 0; text.length < 32768; i++) text += BLOCKS[i % BLOCKS.length];
text = privacyScanText([{role:'user', content: text}]);
const cpu = (name: string, f: () => unknown, n = 300) => { for (let k = 0; k < 20; k++) f(); const c0 = process.cpuUsage(); for (let k = 0; k < n; k++) f(); const c = process.cpuUsage(c0); console.log(name, ((c.user + c.system) / n).toFixed(1)); };
const lits = ['pass','pwd','key','secret','token','credential','auth','phone','tel','mobil','cell','fax','handy','whatsapp','birth','born','dob','d.o.b','geb','nacimiento','naissance','mail','address','ssn','iban','surname','lastname','last_name','last name','bearer','basic'];
const lower = text.toLowerCase();
cpu('lower', () => text.toLowerCase());
cpu('indexOf 31 lits', () => { let q = 0; for (const l of lits) { for (let i = lower.indexOf(l); i !== -1; i = lower.indexOf(l, i + 1)) q++; } return q; });
const big = new RegExp(lits.map((l) => l.replace('.', '\\.')).join('|'), 'g');
cpu('one regex', () => { let q = 0; big.lastIndex = 0; while (big.exec(lower)) q++; return q; });
const bigI = new RegExp(lits.map((l) => l.replace('.', '\\.')).join('|'), 'gi');
cpu('one regex i on text', () => { let q = 0; bigI.lastIndex = 0; while (bigI.exec(text)) q++; return q; });
cpu('includes x31', () => lits.map((l) => lower.includes(l)));
cpu('charloop', () => { let q = 0; for (let i = 0; i < text.length; i++) { const c = text.charCodeAt(i); if (c >= 48 && c <= 57) q++; } return q; });
cpu('digit-run regex', () => { let q = 0; const re = /\d[\d .()\/-]{5,}/g; while (re.exec(text)) q++; return q; });
cpu('split digits', () => text.match(/[\d][\d .()\/+-]{6,}/g)?.length);
