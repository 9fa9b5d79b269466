#!/usr/bin/env bash
# npm run local: make sure a local broker answers, build, then run the service
# with every role in the foreground (Ctrl-C drains, commits and leaves the groups).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# .env (if any) may name the brokers; real environment variables win.
if [[ -z "${KAFKA_BROKERS:-}" && -f .env ]]; then
  KAFKA_BROKERS="$(sed -n 's/^KAFKA_BROKERS=//p' .env | tail -n1)"
fi
first="${KAFKA_BROKERS:-127.0.0.1:9092}"
first="${first%%,*}"
host="${first%:*}"
port="${first##*:}"
if [[ "$host" == "127.0.0.1" || "$host" == "localhost" ]]; then
  # Idempotent: does nothing when the broker is already running.
  KAFKA_LOCAL_PORT="$port" bash tools/kafka/kafka.sh start
else
  echo "KAFKA_BROKERS=$KAFKA_BROKERS is not local: not starting a broker"
fi

npm run --silent build
# Readable lines for a person at a terminal (unless the environment or .env
# says otherwise); production keeps the JSON default.
if [[ -z "${LOG_FORMAT:-}" ]] && ! grep -qs '^LOG_FORMAT=' .env; then
  export LOG_FORMAT=text
fi
exec node dist/main.js
