#!/usr/bin/env bash
# Runs once, on the first start of the compose Postgres volume: one database per service, each owned by
# its own role, so no service can read another's tables (ARCHITECTURE: database per service).
# The order service's Postgres database exists for its Postgres adapter (used when MONGO_URL is unset).
set -euo pipefail
for name in user product order payment inventory notification; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE shop_${name} LOGIN PASSWORD '${SHOP_DB_PASSWORD:-shop}';
CREATE DATABASE shop_${name} OWNER shop_${name};
REVOKE ALL ON DATABASE shop_${name} FROM PUBLIC;
SQL
done
