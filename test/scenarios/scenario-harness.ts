import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RotationConfigInput } from '../../packages/core/src/index';
import { createSecretBox, generateSecretKey } from '../../packages/secrets/src/index';
import {
  buildTestSnapshot,
  parseSseText,
  spawnService,
  startMockUpstream,
  type MockUpstream,
  type SpawnedService,
  type SseTranscript,
  type TestSnapshotProvider,
} from '../../packages/testkit/src/index';

export const TOKEN = 'aisbf_scenario_token_abcdefghijklmnopqrstuvwxyz0123456789';
export const WORDS = 60;
export const WHOLE = Array.from({ length: WORDS }, (_, i) => `w${i + 1}`).join(' ');

/** Short timeouts so every fault resolves in well under a second (docs/reliability.md knobs, set per rotation). */
export const FAST_TIMEOUTS = {
  timeout_connect_s: 0.5,
  timeout_headers_s: 0.5,
  timeout_first_token_s: 0.5,
  timeout_idle_s: 0.5,
  timeout_total_s: 6,
  retry_after_max_s: 2,
  retry: { backoff_ms: 30 },
} as const;

export interface CaseSpec {
  /** Slug; the primary mock serves model `<id>`, the backup mock model `<id>-fb`, the rotation is `r-<id>`. */
  id: string;
  fallback: boolean;
  rotation?: Partial<RotationConfigInput>;
  primaryEntry?: Record<string, unknown>;
  backupEntry?: Record<string, unknown>;
}

export interface Harness {
  primary: MockUpstream;
  backup: MockUpstream;
  dataPlane: SpawnedService;
  /** Rotation route name of a case. */
  route(id: string): string;
  call(id: string, options?: CallOptions): Promise<CallResult>;
  /** The usage event of a request, waiting for it to be written. */
  usage(requestId: string, timeoutMs?: number): Promise<UsageLine>;
  close(): Promise<void>;
}

export interface UsageLine {
  requestId: string;
  provider: string | null;
  model: string | null;
  status: number;
  outcome: string;
  promptTokens: number;
  completionTokens: number;
  attempts: Array<{ provider: string; model: string; status: number | null; outcome: string }>;
}

export interface CallOptions {
  stream?: boolean;
  body?: Record<string, unknown>;
  /** Abort the client after this many content chunks (client disconnect). */
  disconnectAfterChunks?: number;
  /** The client gives up after this long (a hang); default 8 s. */
  clientTimeoutMs?: number;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
  sse: SseTranscript | null;
  ms: number;
  /** How the body ended: normally, by a transport error, by the client's timeout, or by our disconnect. */
  ended: 'end' | 'error' | 'client-timeout' | 'disconnected';
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function startHarness(
  cases: readonly CaseSpec[],
  options: { dataPlaneArgs?: string[] } = {},
): Promise<Harness> {
  const primary = await startMockUpstream({ models: cases.map((c) => c.id), words: WORDS });
  const backup = await startMockUpstream({ models: cases.map((c) => `${c.id}-fb`), words: WORDS });
  const dir = await mkdtemp(join(tmpdir(), 'aisbf-scenarios-'));
  const secretKey = generateSecretKey();
  const providers: TestSnapshotProvider[] = [
    { id: 'primary', endpoint: primary.url, apiKey: 'sk-primary-upstream', models: cases.map((c) => c.id) },
    { id: 'backup', endpoint: backup.url, apiKey: 'sk-backup-upstream', models: cases.map((c) => `${c.id}-fb`) },
  ];
  const snapshot = buildTestSnapshot({
    secretBox: createSecretBox(secretKey),
    users: [{ username: 'alice', token: TOKEN }],
    providers,
    rotations: cases.map((c) => ({
      id: `r-${c.id}`,
      config: {
        ...FAST_TIMEOUTS,
        ...c.rotation,
        providers: [
          { provider_id: 'primary', model: c.id, weight: 6, error_cooldown: 30, ...c.primaryEntry },
          ...(c.fallback
            ? [{ provider_id: 'backup', model: `${c.id}-fb`, weight: 3, error_cooldown: 30, ...c.backupEntry }]
            : []),
        ],
      },
    })),
  });
  const snapshotFile = join(dir, 'snapshot.json');
  const usageFile = join(dir, 'usage.jsonl');
  await writeFile(snapshotFile, JSON.stringify(snapshot));
  await writeFile(usageFile, '');
  const dataPlane = await spawnService({
    entry: join(ROOT, 'test/scenarios/data-plane-main.ts'),
    cwd: ROOT,
    args: [
      '--snapshot',
      snapshotFile,
      '--secret-key',
      secretKey,
      '--usage-file',
      usageFile,
      '--log-level',
      'error',
      ...(options.dataPlaneArgs ?? []),
    ],
  });

  const call = async (id: string, options: CallOptions = {}): Promise<CallResult> => {
    const controller = new AbortController();
    const started = performance.now();
    const timer = setTimeout(() => controller.abort(), options.clientTimeoutMs ?? 8000);
    let ended: CallResult['ended'] = 'end';
    let text = '';
    let status = 0;
    let headers = new Headers();
    try {
      const res = await fetch(`${dataPlane.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: `r-${id}`,
          messages: [{ role: 'user', content: 'Say the words.' }],
          stream: options.stream ?? false,
          ...options.body,
        }),
        signal: controller.signal,
      });
      status = res.status;
      headers = res.headers;
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        text += decoder.decode(next.value, { stream: true });
        if (
          options.disconnectAfterChunks !== undefined &&
          parseSseText(text).json.length >= options.disconnectAfterChunks
        ) {
          ended = 'disconnected';
          controller.abort();
          break;
        }
      }
    } catch {
      if (ended !== 'disconnected') ended = controller.signal.aborted ? 'client-timeout' : 'error';
    } finally {
      clearTimeout(timer);
    }
    const isSse = (headers.get('content-type') ?? '').includes('text/event-stream');
    let json: unknown = null;
    if (!isSse) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    return {
      status,
      headers,
      text,
      json,
      sse: isSse ? parseSseText(text) : null,
      ms: performance.now() - started,
      ended,
    };
  };

  const usage = async (requestId: string, timeoutMs = 3000): Promise<UsageLine> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = (await readFile(usageFile, 'utf8')).split('\n').filter((l) => l.trim() !== '');
      for (const line of lines) {
        const event = JSON.parse(line) as UsageLine;
        if (event.requestId === requestId) return event;
      }
      if (Date.now() > deadline) throw new Error(`no usage event for request ${requestId} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  return {
    primary,
    backup,
    dataPlane,
    route: (id) => `r-${id}`,
    call,
    usage,
    close: async () => {
      await dataPlane.stop();
      await Promise.all([primary.close(), backup.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Requests a mock saw for one case's model. */
export const seen = (mock: MockUpstream, model: string): number =>
  mock.requests.filter((r) => (r.body as { model?: unknown } | null)?.model === model).length;
