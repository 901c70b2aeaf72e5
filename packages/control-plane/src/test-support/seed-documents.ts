/** The seed's two documents, verbatim from the integration guide (/work/shared/seed). */
export const SEED_ROTATIONS_JSON =
  '{"rotations":{"coding-production":{"model_name":"coding-production","providers":[{"provider_id":"coderai-local","model":"qwen2.5-coder:32b","weight":6,"error_cooldown":60},{"provider_id":"runpod-gpu-a","model":"deepseek-coder-v2","weight":3,"error_cooldown":120},{"provider_id":"openai-prod","model":"gpt-4.1-mini","weight":1,"error_cooldown":300}],"privacy":true,"capabilities":["chat","coding","tool_use"]}}}';

export const SEED_AUTOSELECTS_JSON =
  '{"engineering":{"model_name":"engineering","selection_model":"general","fallback":"user-rotation/coding-production","classify_privacy":true,"classify_semantic":true,"available_models":[{"model_id":"user-rotation/coding-production","description":"Private code, logs, secrets, customer data.","privacy":true},{"model_id":"user-provider/runpod-gpu-a/deepseek-coder-v2","description":"Long refactors and GPU-heavy coding when data is not secret."},{"model_id":"user-provider/openai-prod/gpt-4.1-mini","description":"Fast hosted fallback for non-private tasks."}]}}';

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
