import { detectPrivacy } from '../../packages/core/src/index';
const BLOCKS = [
  'Could you refactor the loader below so it uses async/await and reports errors through the logger? Keep the public API.\n',
  "export async function load(path: string): Promise<Config> {\n  const text = await fs.readFile(path, 'utf8');\n  const parsed = configSchema.safeParse(JSON.parse(text));\n  if (!parsed.success) throw new Error(`bad config at ${path}`);\n  return parsed.data;\n}\n",
  '2026-11-25T19:16:22.123Z INFO request 550e8400-e29b-41d4-a716-446655440000 from 10.0.3.17 took 123 ms (status 200)\n',
  '{"model":"gpt-4.1-mini","max_tokens":4096,"temperature":0.2,"version":"1.2.3","sha":"3f786850e387550fdab836ed7e6dc881de23001b"}\n',
  'The assistant answered with a long explanation of the difference between weighted and priority rotation strategies, with examples.\n',
  'password = request.form["password"]; token = tokenizer.encode(text); apiKey = process.env.OPENAI_API_KEY;\n',
  '| id | title | price | qty |\n|----|-------|-------|-----|\n| 1 | Widget | 9.99 | 3 |\n| 2 | Gadget | 19.50 | 12 |\n',
];
const msgs: unknown[] = [];
let cur = '';
for (let i = 0, size = 0; size < 32768; i++) { const b = BLOCKS[i % BLOCKS.length]!; cur += b; size += b.length; if (cur.length > 2048) { msgs.push({ role: 'user', content: cur }); cur = ''; } }
const t0 = performance.now();
let best = Infinity;
for (let i = 0; i < 3000; i++) { const a = performance.now(); detectPrivacy(msgs); best = Math.min(best, performance.now() - a); }
console.log('avg', (performance.now() - t0) / 3000 * 1000, 'µs; best', best * 1000);
