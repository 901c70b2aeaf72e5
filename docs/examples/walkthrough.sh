#!/usr/bin/env bash
# The seed walkthrough as a script: CoderAI on the LAN, RunPod as burst capacity, a hosted API last,
# a rotation over the three and an autoselect above it, all for a user "alice", through GraphQL with
# only the admin token. Run it against a running gateway (`npm start`):
#
#   AISBF_ADMIN_TOKEN=aisbf_... bash docs/examples/walkthrough.sh
#
# Every endpoint and key has a default or comes from the environment (names below), so the same
# script runs against your real backends or, in the test suite, against local mocks. It needs bash
# and curl only, and stops at the first GraphQL error with the error printed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

: "${AISBF_ADMIN_TOKEN:?set AISBF_ADMIN_TOKEN to the admin token the gateway was started with}"
AISBF_URL="${AISBF_URL:-http://localhost:17765}"
CODERAI_ENDPOINT="${CODERAI_ENDPOINT:-http://coderai-broker.internal:8080/v1}"
CODERAI_BROKER_TOKEN="${CODERAI_BROKER_TOKEN:-}"
RUNPOD_ENDPOINT="${RUNPOD_ENDPOINT:-https://YOUR-POD-ID-8000.proxy.runpod.net/v1}"
RUNPOD_API_KEY="${RUNPOD_API_KEY:-}"
OPENAI_ENDPOINT="${OPENAI_ENDPOINT:-https://api.openai.com/v1}"
OPENAI_API_KEY="${OPENAI_API_KEY:-}"
ALICE_PASSWORD="${ALICE_PASSWORD:-alice-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')}"

# q QUERY [VARIABLES_JSON]: one GraphQL call; prints the reply, fails on an `errors` member.
q() {
  local vars="${2:-}" body reply
  [[ -n "$vars" ]] || vars='{}'
  body="{\"query\":$(json_string "$1"),\"variables\":$vars}"
  reply="$(curl -sS "$AISBF_URL/graphql" -H "authorization: Bearer $AISBF_ADMIN_TOKEN" \
    -H 'content-type: application/json' --data-binary "$body")"
  if [[ "$reply" == *'"errors"'* ]]; then echo "GraphQL error: $reply" >&2; exit 1; fi
  printf '%s\n' "$reply"
}
# json_string TEXT: TEXT as a JSON string literal (backslashes, quotes and newlines escaped).
json_string() {
  local s="${1//\\/\\\\}"; s="${s//\"/\\\"}"; s="${s//$'\n'/\\n}"; printf '"%s"' "$s"
}

echo "== alice, with a password she can sign in to the dashboard with"
q 'mutation($p: String!) { createUser(username: "alice", password: $p) { username role } }' \
  "{\"p\":$(json_string "$ALICE_PASSWORD")}"
echo "alice's password: $ALICE_PASSWORD"

echo "== an API token for alice's apps (shown once)"
token_reply="$(q 'mutation { createApiToken(owner: "alice", name: "laptop") { token } }')"
ALICE_TOKEN="$(printf '%s' "$token_reply" | sed -E 's/.*"token":"([^"]+)".*/\1/')"
echo "ALICE_TOKEN=$ALICE_TOKEN"

provider() { # provider ID TYPE ENDPOINT KEY MODEL[,MODEL…]
  local models="\"${5//,/\",\"}\""
  q 'mutation($i: ProviderInput!) { upsertProvider(owner: "alice", input: $i) { id apiKeyHint } }' \
    "{\"i\":{\"id\":\"$1\",\"type\":\"$2\",\"endpoint\":$(json_string "$3"),\"apiKey\":$(json_string "$4"),\"models\":[$models]}}"
}
echo "== providers: the LAN broker, a RunPod endpoint, a hosted API"
provider coderai-local OpenAI-compatible "$CODERAI_ENDPOINT" "$CODERAI_BROKER_TOKEN" 'qwen2.5-coder:32b'
provider runpod-gpu-a openai "$RUNPOD_ENDPOINT" "$RUNPOD_API_KEY" 'deepseek-coder-v2,mixtral-8x22b-instruct'
provider openai-prod openai "$OPENAI_ENDPOINT" "$OPENAI_API_KEY" 'gpt-4.1-mini'

import_doc() { # import KIND FILE: a config document as it is; warnings say what will not work as written
  q "mutation(\$d: JSON!) { importConfig(owner: \"alice\", kind: $1, document: \$d) { created updated warnings { path message } } }" \
    "{\"d\":$(cat "$here/$2")}"
}
echo "== rotations: the seed's coding-production, and the 'general' one its autoselect selects with"
import_doc ROTATIONS seed-rotations.json
import_doc ROTATIONS general-rotation.json
echo "== the seed's autoselect above the rotation"
import_doc AUTOSELECTS seed-autoselects.json

cat <<DONE

Done. Call it as alice (any OpenAI client, base URL $AISBF_URL/v1):
  curl $AISBF_URL/api/u/alice/chat/completions -H "authorization: Bearer $ALICE_TOKEN" \\
    -H 'content-type: application/json' \\
    -d '{"model":"user-rotation/coding-production","messages":[{"role":"user","content":"hi"}]}'
DONE
