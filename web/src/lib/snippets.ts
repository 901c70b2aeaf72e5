/** The exact calls for a route (docs/architecture.md "Data plane API"): per-user base URL `/api/u/{username}`. */
export function baseUrlFor(origin: string, username: string): string {
  return `${origin.replace(/\/+$/, '')}/api/u/${encodeURIComponent(username)}`;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function curlSnippet(baseUrl: string, route: string): string {
  const body = JSON.stringify({ model: route, messages: [{ role: 'user', content: 'Hello!' }] });
  return [
    `curl ${baseUrl}/chat/completions \\`,
    `  -H "Authorization: Bearer $AISBF_TOKEN" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d ${shellQuote(body)}`,
  ].join('\n');
}

export function openaiJsSnippet(baseUrl: string, route: string): string {
  return [
    `import OpenAI from 'openai';`,
    ``,
    `const client = new OpenAI({ baseURL: ${JSON.stringify(baseUrl)}, apiKey: process.env.AISBF_TOKEN });`,
    `const answer = await client.chat.completions.create({`,
    `  model: ${JSON.stringify(route)},`,
    `  messages: [{ role: 'user', content: 'Hello!' }],`,
    `});`,
    `console.log(answer.choices[0].message.content);`,
  ].join('\n');
}

export function openaiPySnippet(baseUrl: string, route: string): string {
  return [
    `import os`,
    `from openai import OpenAI`,
    ``,
    `client = OpenAI(base_url=${JSON.stringify(baseUrl)}, api_key=os.environ["AISBF_TOKEN"])`,
    `answer = client.chat.completions.create(`,
    `    model=${JSON.stringify(route)},`,
    `    messages=[{"role": "user", "content": "Hello!"}],`,
    `)`,
    `print(answer.choices[0].message.content)`,
  ].join('\n');
}
