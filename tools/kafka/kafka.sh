#!/usr/bin/env bash
# Runs a real single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# on 127.0.0.1 without Docker, from jars fetched off Maven Central via ./pom.xml.
#
#   tools/kafka/kafka.sh start|stop|status
#   tools/kafka/kafka.sh tools-classpath   (fetches Kafka's CLI tools jar, prints a java -cp value)
#
# Env knobs (all optional):
#   KAFKA_LOCAL_PORT             client port (default 9092)
#   KAFKA_LOCAL_CONTROLLER_PORT  KRaft controller port (default port+1)
#   KAFKA_LOCAL_DIR              state dir (default <repo>/.kafka/<port>, so brokers never share state)
#   KAFKA_LOCAL_HEAP             JVM heap (default 512m)
#   KAFKA_LOCAL_START_TIMEOUT    seconds to wait for readiness (default 60)
#   KAFKA_LOCAL_SECURITY         plaintext (default) or sasl_ssl (see secure_setup below)
#   KAFKA_LOCAL_NODES            1 (default) or 3: a 3-node cluster (see cluster_main below)
#   KAFKA_LOCAL_GROUP_PROTOCOLS  the group protocols the broker speaks (default: Kafka's, with
#                                KIP-848's consumer); `classic` makes one that refuses KIP-848
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$SCRIPT_DIR/pom.xml"
VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)"
LIBS="$SCRIPT_DIR/.cache/libs-$VERSION"

PORT="${KAFKA_LOCAL_PORT:-9092}"
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "KAFKA_LOCAL_PORT must be a number, got '$PORT'" >&2; exit 2; }
CPORT="${KAFKA_LOCAL_CONTROLLER_PORT:-$((PORT + 1))}"
[[ "$CPORT" =~ ^[0-9]+$ ]] || { echo "KAFKA_LOCAL_CONTROLLER_PORT must be a number" >&2; exit 2; }
STATE_DIR="$(realpath -m "${KAFKA_LOCAL_DIR:-$REPO_ROOT/.kafka/$PORT}")"  # absolute: log.dirs must not depend on cwd
HEAP="${KAFKA_LOCAL_HEAP:-512m}"
# Set only by cluster_main for one node of a 3-node cluster (never by users).
NODE_ID="${KAFKA_LOCAL_NODE_ID:-}"
VOTERS="${KAFKA_LOCAL_VOTERS:-}"
CLUSTER_ID="${KAFKA_LOCAL_CLUSTER_ID:-}"
SECURITY="${KAFKA_LOCAL_SECURITY:-plaintext}"
case "$SECURITY" in plaintext|sasl_ssl) ;; *) echo "KAFKA_LOCAL_SECURITY must be plaintext or sasl_ssl, got '$SECURITY'" >&2; exit 2 ;; esac
TIMEOUT="${KAFKA_LOCAL_START_TIMEOUT:-60}"
PID_FILE="$STATE_DIR/broker.pid"
DATA_DIR="$STATE_DIR/data"
LOG="$STATE_DIR/server.log"
OUT="$STATE_DIR/broker.out"

die() { echo "$*" >&2; exit 1; }
# Alive and not a zombie (a child that died during `start` stays a zombie until we exit).
alive() { [[ -r /proc/$1/stat ]] && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }
# Guards against pid reuse: the pid must be a Kafka broker JVM, not whatever got that number later.
is_kafka() { alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# True when 127.0.0.1:$1 answers a Kafka ApiVersions v0 request (correlation id 1) within 3 s.
kafka_answers() {
  node -e '
    const socket = require("net").connect(Number(process.argv[1]), "127.0.0.1");
    setTimeout(() => process.exit(1), 3000);
    socket.on("error", () => process.exit(1));
    socket.on("close", () => process.exit(1));
    socket.on("connect", () =>
      socket.write(Buffer.from("0000000e0012000000000001000474657374", "hex")));
    let got = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 8) process.exit(got.readInt32BE(4) === 1 ? 0 : 1);
    });' "$1"
}
read_pid() { [[ -s "$PID_FILE" ]] && tr -dc '0-9' <"$PID_FILE"; }
now_ms() { local t="${EPOCHREALTIME/[.,]/}"; echo $((t / 1000)); }

# Jar caches: filled once per Kafka version; downloaded into a temp dir and renamed into place so
# an interrupted download never leaves a half cache behind.
#   fetch_jars <pom> <cache dir> <jar that proves the cache is whole>
fetch_jars() {
  local pom="$1" dir="$2" marker="$3"
  compgen -G "$dir/$marker" >/dev/null && return 0
  command -v mvn >/dev/null || die "mvn not found: install Maven (e.g. apt-get install maven) to fetch the Kafka jars"
  echo "Fetching $(basename "$pom") jars (Kafka $VERSION) from Maven Central into $dir ..." >&2
  mkdir -p "$SCRIPT_DIR/.cache"
  local tmp; tmp="$(mktemp -d "$SCRIPT_DIR/.cache/.libs-tmp.XXXXXX")"
  trap 'rm -rf "$tmp" "$tmp.log"' EXIT
  # Output goes to a file: even with -B -q, Debian's mvn 3.8 prints stray ANSI codes on stdout.
  mvn -B -q -f "$pom" -Dkafka.version="$VERSION" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime >"$tmp.log" 2>&1 \
    || { cat "$tmp.log" >&2; die "mvn failed to fetch the jars of $pom"; }
  compgen -G "$tmp/$marker" >/dev/null || die "mvn ran but produced no $marker in $tmp"
  [[ -d "$dir" ]] && ! compgen -G "$dir/$marker" >/dev/null && rm -rf "$dir"  # broken cache
  # -T: never move *into* an existing dir; if a concurrent start won the race, just use its copy.
  mv -T "$tmp" "$dir" 2>/dev/null || compgen -G "$dir/$marker" >/dev/null || die "could not populate $dir"
  rm -rf "$tmp" "$tmp.log"; trap - EXIT
}
ensure_libs() { fetch_jars "$POM" "$LIBS" "kafka_2.13-*.jar"; }

# Kafka's own CLI tools (ProducerPerformance, ConsumerPerformance, ...) for `npm run bench`: the
# classpath that runs them, the kafka-tools jar beside the broker's jars (tools-pom.xml says why).
cmd_tools_classpath() {
  local tools="$SCRIPT_DIR/.cache/tools-$VERSION"
  ensure_libs
  fetch_jars "$SCRIPT_DIR/tools-pom.xml" "$tools" "kafka-tools-$VERSION.jar"
  echo "$LIBS/*:$tools/*"
}

write_config() {
  local listener=PLAINTEXT
  [[ "$SECURITY" == sasl_ssl ]] && listener=SASL_SSL
  if [[ -n "$VOTERS" ]]; then cluster_node_config >"$STATE_DIR/server.properties"; else
  cat >"$STATE_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CPORT
listeners=$listener://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=$listener://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
inter.broker.listener.name=$listener
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,$listener:$listener
log.dirs=$DATA_DIR
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  fi
  consumer_group_config >>"$STATE_DIR/server.properties"
  if [[ "$SECURITY" == sasl_ssl ]]; then secure_config >>"$STATE_DIR/server.properties"; fi
  cat >"$STATE_DIR/log4j2.yaml" <<EOF
Configuration:
  Appenders:
    File:
      name: FILE
      fileName: "$LOG"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: FILE
EOF
}

# KIP-848 (group.protocol=consumer) members get their session timeout and heartbeat interval
# from the broker, not from the client. Set like the service's classic-protocol defaults
# (CONSUMER_SESSION_TIMEOUT_MS 10 s, CONSUMER_HEARTBEAT_INTERVAL_MS 1 s) so a crashed member's
# partitions move after the same ~10 s whichever protocol a group uses; the minimums admit a
# per-group override (kafka-configs --entity-type groups) down to the fault tests' 6 s / 0.5 s.
# Kafka's defaults are 45 s / 5 s (minimums the same): see docs/operations.md.
consumer_group_config() {
  cat <<EOF
group.consumer.session.timeout.ms=10000
group.consumer.min.session.timeout.ms=6000
group.consumer.heartbeat.interval.ms=1000
group.consumer.min.heartbeat.interval.ms=500
EOF
  # KAFKA_LOCAL_GROUP_PROTOCOLS=classic: a broker that refuses KIP-848 (as Kafka before 4.0 does).
  [[ -z "${KAFKA_LOCAL_GROUP_PROTOCOLS:-}" ]] || echo "group.coordinator.rebalance.protocols=$KAFKA_LOCAL_GROUP_PROTOCOLS"
}

# --- KAFKA_LOCAL_SECURITY=sasl_ssl ------------------------------------------------------------
# A local CA and a broker certificate for 127.0.0.1 (openssl, made once in the state dir), TLS on
# the client listener, SCRAM-SHA-512 users created when the storage is formatted (`admin`, the
# super user for tooling and tests; `svc`, the service's least-privileged user) and ACLs
# enforced by the StandardAuthorizer. Passwords are random, in 0600 files, never printed.
# The service's ACLs are granted by tools/kafka/grant-acls.mjs (the table in docs/security.md).
SECRETS="$STATE_DIR/secrets"

secure_setup() {
  command -v openssl >/dev/null || die "openssl not found: install it (apt-get install openssl) for KAFKA_LOCAL_SECURITY=sasl_ssl"
  mkdir -p "$SECRETS"; chmod 700 "$SECRETS"
  local d="$SECRETS" user
  if [[ ! -s "$d/ca.pem" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=nest-kafka-groups local CA" \
      -keyout "$d/ca.key" -out "$d/ca.pem" >/dev/null 2>&1 || die "openssl could not make the CA"
  fi
  if [[ ! -s "$d/broker.pem" ]]; then
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/broker.key" -out "$d/broker.csr" >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/broker.ext"
    openssl x509 -req -in "$d/broker.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
      -extfile "$d/broker.ext" -out "$d/broker.crt" >/dev/null 2>&1 || die "openssl could not sign the broker certificate"
    # Kafka's PEM keystore: an unencrypted PKCS#8 key, then the certificate chain.
    { openssl pkcs8 -topk8 -nocrypt -in "$d/broker.key"; cat "$d/broker.crt" "$d/ca.pem"; } >"$d/broker.pem"
  fi
  for user in svc admin; do
    [[ -s "$d/$user.password" ]] || (umask 077; openssl rand -hex 24 >"$d/$user.password")
  done
  chmod 600 "$d"/*.key "$d"/*.password "$d/broker.pem"
}

secure_config() {
  local d="$SECRETS"
  cat <<EOF
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
# admin: tooling and the broker itself; ANONYMOUS: the loopback-only PLAINTEXT controller listener.
super.users=User:admin;User:ANONYMOUS
ssl.keystore.type=PEM
ssl.keystore.location=$d/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$d/ca.pem
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(cat "$d/admin.password")";
EOF
}

# client.env: the exact settings of the service's least-privileged user; admin.env: the super
# user's, for tooling and tests (never for the service).
write_client_env() {
  local d="$SECRETS" user file
  for user in svc admin; do
    file="$STATE_DIR/client.env"; [[ "$user" == admin ]] && file="$STATE_DIR/admin.env"
    (umask 077; cat >"$file" <<EOF
# KAFKA_LOCAL_SECURITY=sasl_ssl broker on 127.0.0.1:$PORT, user '$user'
KAFKA_BROKERS=127.0.0.1:$PORT
KAFKA_SSL=true
KAFKA_SSL_CA_FILE=$d/ca.pem
KAFKA_SASL_MECHANISM=scram-sha-512
KAFKA_SASL_USERNAME=$user
KAFKA_SASL_PASSWORD_FILE=$d/$user.password
EOF
    )
  done
}

kill_broker() {  # SIGTERM lets Kafka shut down cleanly; SIGKILL only if it hangs past $2 seconds
  local pid="$1" deadline=$(( $(now_ms) + $2 * 1000 ))
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && (( $(now_ms) < deadline )); do sleep 0.25; done
  alive "$pid" && { kill -KILL "$pid" 2>/dev/null || true; sleep 0.25; }
  rm -f "$PID_FILE"
}

cmd_start() {
  local t0 pid; t0="$(now_ms)"
  command -v java >/dev/null || die "java not found: install JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless)"
  local jv; jv="$(java -version 2>&1 | awk -F'"' '/version/ && !v {v = $2} END {print v}')"  # no early exit: SIGPIPE + pipefail
  [[ "${jv%%.*}" =~ ^[0-9]+$ ]] && (( ${jv%%.*} >= 17 )) || die "Kafka $VERSION needs Java 17+, found '${jv:-unknown}': install openjdk-17-jdk-headless"
  pid="$(read_pid || true)"
  if [[ -n "$pid" ]] && is_kafka "$pid"; then
    echo "Kafka already running on 127.0.0.1:$PORT (pid $pid)"; exit 0
  fi
  rm -f "$PID_FILE"  # stale (broker was killed or machine rebooted)
  if port_open "$PORT" && kafka_answers "$PORT"; then
    # Another checkout's broker, or `docker compose up kafka`: use it rather than refuse.
    echo "Kafka already running on 127.0.0.1:$PORT, not started by this checkout (no $PID_FILE): using it"; exit 0
  fi
  for p in "$PORT" "$CPORT"; do
    port_open "$p" && die "Port 127.0.0.1:$p is already in use by another process that is not a Kafka broker; set KAFKA_LOCAL_PORT (and/or KAFKA_LOCAL_CONTROLLER_PORT) to a free port"
  done
  ensure_libs
  mkdir -p "$DATA_DIR"
  if [[ "$SECURITY" == sasl_ssl ]]; then secure_setup; fi
  write_config
  if [[ ! -f "$DATA_DIR/meta.properties" ]]; then  # KRaft storage must be formatted exactly once
    local scram=()
    if [[ "$SECURITY" == sasl_ssl ]]; then  # SCRAM users are cluster metadata: made with the storage
      scram=(--add-scram "SCRAM-SHA-512=[name=admin,password=$(cat "$SECRETS/admin.password")]"
             --add-scram "SCRAM-SHA-512=[name=svc,password=$(cat "$SECRETS/svc.password")]")
    fi
    # One node formats itself as the only voter; cluster nodes share the id and the static voters.
    local id=(--standalone -t "$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid)")
    [[ -n "$VOTERS" ]] && id=(-t "$CLUSTER_ID")
    java -cp "$LIBS/*" kafka.tools.StorageTool format "${id[@]}" \
      -c "$STATE_DIR/server.properties" "${scram[@]}" >"$OUT" 2>&1 || { cat "$OUT" >&2; die "Kafka storage format failed"; }
  fi
  [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.prev"  # so "Kafka Server started" below is from this run
  # setsid+nohup: survive the caller's terminal/CI step; no inherited stdio, so callers piping our
  # output (execSync, $(...)) don't hang waiting for the JVM to close it.
  nohup setsid java "-Xmx$HEAP" "-Xms$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    "-Dkafka.logs.dir=$STATE_DIR" "-Dlog4j2.configurationFile=$STATE_DIR/log4j2.yaml" \
    -cp "$LIBS/*" kafka.Kafka "$STATE_DIR/server.properties" >"$OUT" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  local deadline=$(( $(now_ms) + TIMEOUT * 1000 ))  # from launch, so a slow first download doesn't eat it
  # Ready = broker says so AND the client port accepts connections.
  until grep -qs "Kafka Server started" "$LOG" && port_open "$PORT"; do
    if ! alive "$pid" || (( $(now_ms) > deadline )); then
      { echo "--- last 30 lines of $LOG ---"; tail -n 30 "$LOG" 2>/dev/null || true
        echo "--- last 30 lines of $OUT ---"; tail -n 30 "$OUT" 2>/dev/null || true; } >&2
      alive "$pid" && echo "(timed out after ${TIMEOUT}s)" >&2
      kill_broker "$pid" 5
      die "Kafka failed to start; log: $LOG (JVM output: $OUT)"
    fi
    sleep 0.25
  done
  if [[ "$SECURITY" == sasl_ssl ]]; then
    write_client_env
    node "$SCRIPT_DIR/grant-acls.mjs" "$STATE_DIR/admin.env" \
      || { kill_broker "$pid" 5; die "could not grant the service's ACLs"; }
  fi
  local ms=$(( $(now_ms) - t0 ))
  printf 'Kafka %s ready on 127.0.0.1:%s (pid %s, log %s, security %s) in %d.%ds\n' "$VERSION" "$PORT" "$pid" "$LOG" "$SECURITY" $((ms / 1000)) $((ms % 1000 / 100))
  if [[ "$SECURITY" == sasl_ssl ]]; then echo "Service settings: $STATE_DIR/client.env (user svc); super user: $STATE_DIR/admin.env"; fi
}

cmd_stop() {
  local pid; pid="$(read_pid || true)"
  if [[ -z "$pid" ]] || ! alive "$pid"; then
    rm -f "$PID_FILE"; echo "Kafka not running (no pid file at $PID_FILE)"; exit 0
  fi
  if ! is_kafka "$pid"; then  # pid was reused by something else: never kill it
    rm -f "$PID_FILE"; echo "Kafka not running (pid $pid is not a Kafka broker; removed stale pid file)"; exit 0
  fi
  kill_broker "$pid" 30
  echo "Kafka stopped (pid $pid, port $PORT)"
}

cmd_status() {
  local pid; pid="$(read_pid || true)"
  if [[ -n "$pid" ]] && is_kafka "$pid"; then
    echo "Kafka running on 127.0.0.1:$PORT (pid $pid, state $STATE_DIR)"; exit 0
  fi
  echo "Kafka not running on 127.0.0.1:$PORT (state $STATE_DIR)"; exit 3
}

# --- KAFKA_LOCAL_NODES=3 ----------------------------------------------------------------------
# Three combined broker+controller nodes: client ports PORT, PORT+1, PORT+2; controller ports
# PORT+100.. (PORT+1 would clash with the second node's client port), or
# KAFKA_LOCAL_CONTROLLER_PORT.. when set. Each node is this script run for one port with its
# node id, the static voter list and the shared cluster id (kept in .kafka/<PORT>/cluster.id), so
# start/stop/status and pid files work per node exactly as for a single broker, and `start`
# again starts only the nodes that are not running.
NODES="${KAFKA_LOCAL_NODES:-1}"
case "$NODES" in 1|3) ;; *) echo "KAFKA_LOCAL_NODES must be 1 or 3, got '$NODES'" >&2; exit 2 ;; esac

cluster_node_config() {
  cat <<EOF
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR
# Production-like durability: every topic (internal ones too) on all three nodes, writes need two.
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
EOF
}

cluster_main() {
  [[ "$SECURITY" == plaintext ]] || die "KAFKA_LOCAL_NODES=3 supports KAFKA_LOCAL_SECURITY=plaintext only"
  [[ -z "${KAFKA_LOCAL_DIR:-}" ]] || die "KAFKA_LOCAL_DIR is per node: leave it unset with KAFKA_LOCAL_NODES=3"
  local cbase="${KAFKA_LOCAL_CONTROLLER_PORT:-$((PORT + 100))}" i voters="" bootstrap="" rc=0 pids=()
  for i in 0 1 2; do
    voters+="${voters:+,}$((i + 1))@127.0.0.1:$((cbase + i))"
    bootstrap+="${bootstrap:+,}127.0.0.1:$((PORT + i))"
  done
  local id_file="$REPO_ROOT/.kafka/$PORT/cluster.id"
  if [[ "$1" == start && ! -s "$id_file" ]]; then
    ensure_libs; mkdir -p "$(dirname "$id_file")"
    java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid >"$id_file"
  fi
  # In parallel: no node is ready before a quorum (two of the three voters) is up.
  for i in 0 1 2; do
    KAFKA_LOCAL_NODES=1 KAFKA_LOCAL_PORT=$((PORT + i)) KAFKA_LOCAL_CONTROLLER_PORT=$((cbase + i)) \
      KAFKA_LOCAL_NODE_ID=$((i + 1)) KAFKA_LOCAL_VOTERS="$voters" \
      KAFKA_LOCAL_CLUSTER_ID="$(cat "$id_file" 2>/dev/null || true)" \
      KAFKA_LOCAL_HEAP="${KAFKA_LOCAL_HEAP:-384m}" "$SCRIPT_DIR/kafka.sh" "$1" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || rc=$?; done
  if [[ "$1" == start && $rc == 0 ]]; then echo "KAFKA_BROKERS=$bootstrap"; fi
  return "$rc"
}

if [[ "$NODES" == 3 ]]; then
  case "${1:-}" in start|stop|status) cluster_main "$1"; exit $? ;; esac
fi

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  tools-classpath) cmd_tools_classpath ;;
  *) echo "usage: $0 start|stop|status|tools-classpath   (env: KAFKA_LOCAL_PORT, KAFKA_LOCAL_CONTROLLER_PORT, KAFKA_LOCAL_DIR, KAFKA_LOCAL_HEAP, KAFKA_LOCAL_START_TIMEOUT, KAFKA_LOCAL_NODES)" >&2; exit 2 ;;
esac
