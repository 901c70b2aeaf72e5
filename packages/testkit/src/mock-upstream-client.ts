import type { MockFault, RecordedRequest } from './mock-fault';

/** A mock upstream running in another process (mock-upstream-main.ts), scripted over /__mock. */
export interface RemoteMockUpstream {
  readonly url: string;
  enqueue(...faults: MockFault[]): Promise<void>;
  setDefault(fault: MockFault): Promise<void>;
  reset(): Promise<void>;
  requests(): Promise<RecordedRequest[]>;
}

export function connectMockUpstream(url: string): RemoteMockUpstream {
  const origin = url.replace(/\/v1\/?$/, '');
  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${origin}/__mock/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`mock upstream control ${path} answered ${res.status}: ${await res.text()}`);
  };
  return {
    url,
    enqueue: (...faults) => post('enqueue', faults),
    setDefault: (fault) => post('default', [fault]),
    reset: () => post('reset', {}),
    requests: async () => {
      const res = await fetch(`${origin}/__mock/requests`);
      if (!res.ok) throw new Error(`mock upstream control requests answered ${res.status}`);
      return (await res.json()) as RecordedRequest[];
    },
  };
}
