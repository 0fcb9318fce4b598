#!/usr/bin/env bash
# Makes sure the local infrastructure the tests use is up: PostgreSQL on 5432, Redis on 6379 and
# NATS with JetStream on 4222. Starts whichever is down with the machine's own packages. Idempotent.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 50); do port_open "$1" && return 0; sleep 0.2; done
  echo "ensure-infra: $2 did not come up on port $1" >&2
  return 1
}

status=0
if ! port_open 5432; then
  echo "ensure-infra: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  wait_port 5432 PostgreSQL || status=1
fi
if ! port_open 6379; then
  echo "ensure-infra: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  wait_port 6379 Redis || status=1
fi
if ! port_open 4222; then
  echo "ensure-infra: starting NATS with JetStream"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
  wait_port 4222 NATS || status=1
fi
exit "$status"
