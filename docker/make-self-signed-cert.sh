#!/usr/bin/env sh
# A self-signed TLS pair for trying the cluster compose file: docker/nginx/certs/tls.{crt,key}.
# Clients must trust it explicitly (curl --cacert docker/nginx/certs/tls.crt, or NODE_EXTRA_CA_CERTS);
# in production put your real certificate and key at the same two paths instead.
set -eu
host="${1:-localhost}"
dir="$(dirname "$0")/nginx/certs"
mkdir -p "$dir"
if [ -e "$dir/tls.crt" ] || [ -e "$dir/tls.key" ]; then
  echo "$dir already holds tls.crt/tls.key: remove them first to make a new pair" >&2
  exit 1
fi
openssl req -x509 -newkey rsa:2048 -sha256 -days 365 -nodes \
  -keyout "$dir/tls.key" -out "$dir/tls.crt" \
  -subj "/CN=$host" -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1"
chmod 600 "$dir/tls.key"
echo "wrote $dir/tls.crt and $dir/tls.key for $host"
