#!/usr/bin/env bash
# Makes a development CA and one certificate per sidecar (SAN = the service name), for the mesh's mTLS.
# Usage: mesh/certs/make-dev-ca.sh [out-dir]   (default: mesh/certs). Re-running keeps an existing CA.
# Private keys are git-ignored; never use these certificates outside development.
set -euo pipefail

out="${1:-$(dirname "$0")}"
services=(user product order cart payment inventory notification edge)
days=825
mkdir -p "$out"
cd "$out"

if [[ ! -f ca.key || ! -f ca.crt ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -subj "/O=Shop mesh dev/CN=Shop mesh dev CA" \
    -keyout ca.key -out ca.crt 2>/dev/null
  echo "made CA: $out/ca.crt"
fi

for name in "${services[@]}"; do
  openssl req -newkey rsa:2048 -nodes -sha256 \
    -subj "/O=Shop mesh dev/CN=${name}" \
    -keyout "${name}.key" -out "${name}.csr" 2>/dev/null
  openssl x509 -req -sha256 -days "$days" -in "${name}.csr" \
    -CA ca.crt -CAkey ca.key -CAcreateserial -out "${name}.crt" \
    -extfile <(printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' "$name") 2>/dev/null
  rm -f "${name}.csr"
  # Envoy runs as a non-root user in its image: the key must be readable by it.
  chmod 0644 "${name}.key"
  echo "made ${name}.crt (SAN DNS:${name})"
done
rm -f ca.srl
