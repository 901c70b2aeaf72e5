/** The walkthrough's documents (docs/examples/), shared with every other test through the testkit. */
export { SEED_AUTOSELECTS_JSON, SEED_ROTATIONS_JSON } from '@aisbf/testkit';

/** The providers the seed's documents name, as the guide describes them. */
export const SEED_PROVIDERS = [
  {
    id: 'coderai-local',
    type: 'OpenAI-compatible',
    endpoint: 'http://coderai-broker.internal:8080/v1',
    apiKey: 'coderai-broker-token-0001',
    models: ['qwen2.5-coder:32b'],
  },
  {
    id: 'runpod-gpu-a',
    type: 'openai',
    endpoint: 'https://your-pod-id-8000.proxy.runpod.net/v1',
    apiKey: 'rp_RUNPODKEY0123456789',
    models: ['deepseek-coder-v2', 'mixtral-8x22b-instruct'],
  },
  {
    id: 'openai-prod',
    type: 'openai',
    endpoint: 'https://api.openai.com/v1',
    apiKey: 'sk-proj-OPENAIKEY0123456789',
    models: ['gpt-4.1-mini'],
  },
];
