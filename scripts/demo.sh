#!/usr/bin/env bash
# The main job: a private Postfix 3.7 instance (own config, queue, ports and
# maillog_file) with our scache and smtp swapped into its master.cf, mail
# injected with smtp-source, delivered by our smtp(8) (or the stock one
# with SMTP_AGENT=stock) through our connection cache to a local
# smtp-sink, and a summary of what happened.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
MESSAGES=${MESSAGES:-500}
SESSIONS=${SESSIONS:-5}
[ "$(id -u)" = 0 ] || { echo "the demo starts a private Postfix instance and must run as root" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || shuf -i 20000-40000 -n 1; }
D=$(mktemp -d /tmp/postfix-go-demo.XXXXXX); chmod 0755 "$D"
SMTPD_PORT=$(free_port); SINK_PORT=$(free_port)
cleanup() {
  postfix -c "$D/etc" stop >/dev/null 2>&1 || true
  [ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "instance kept in $D"; else rm -rf "$D"; fi
}
trap cleanup EXIT

echo "== private instance in $D (smtpd 127.0.0.1:$SMTPD_PORT, sink 127.0.0.1:$SINK_PORT)"
mkdir -p "$D/etc" "$D/spool" "$D/data" "$D/libexec"
cp /usr/share/postfix/main.cf.debian "$D/etc/main.cf"
cp /etc/postfix/master.cf "$D/etc/master.cf"
chown postfix "$D/data"
# master.cf commands are relative to daemon_directory: a private one holds
# the stock daemons and ours side by side.
# Hard links (copies across file systems): postfix-script warns about
# symbolic links that leave the directory.
for f in /usr/lib/postfix/sbin/*; do ln "$f" "$D/libexec/" 2>/dev/null || cp -p "$f" "$D/libexec/"; done
rm "$D/libexec/scache"; install -m 0755 "$top/bin/scache" "$D/libexec/scache"
# SMTP_AGENT=stock keeps Postfix's smtp(8); by default ours delivers too.
if [ "${SMTP_AGENT:-ours}" = ours ]; then
  rm "$D/libexec/smtp"; install -m 0755 "$top/bin/smtp" "$D/libexec/smtp"
fi
postconf -c "$D/etc" -e queue_directory="$D/spool" data_directory="$D/data" daemon_directory="$D/libexec" \
  maillog_file="$D/maillog" maillog_file_prefixes="$D" inet_interfaces=127.0.0.1 syslog_name=postfix-go-demo \
  compatibility_level=3.6 myhostname=demo.example mydestination= default_transport=smtp relay_transport=smtp \
  "relayhost=[127.0.0.1]:$SINK_PORT" smtp_tls_security_level=none smtp_tls_session_cache_database= \
  alias_maps= alias_database= inet_protocols=ipv4 mynetworks=127.0.0.0/8 smtpd_peername_lookup=no
postconf -c "$D/etc" -MX smtp/inet
postconf -c "$D/etc" -Me "127.0.0.1:$SMTPD_PORT/inet=127.0.0.1:$SMTPD_PORT inet n - y - - smtpd"
postconf -c "$D/etc" -Me "scache/unix=scache unix - - y - 1 scache -o connection_cache_status_update_time=5s"

smtp-sink -u postfix -c "127.0.0.1:$SINK_PORT" 1000 > "$D/sink.out" 2>&1 & SINK_PID=$!
postfix -c "$D/etc" start </dev/null >/dev/null 2>&1
sleep 1

echo "== injecting $MESSAGES messages in $SESSIONS parallel SMTP sessions"
smtp-source -s "$SESSIONS" -m "$MESSAGES" -f demo@sender.example -t rcpt@example.com "127.0.0.1:$SMTPD_PORT"
for _ in $(seq 1 120); do
  n=$(find "$D/spool/incoming" "$D/spool/active" "$D/spool/deferred" -type f 2>/dev/null | wc -l)
  [ "$n" = 0 ] && [ "$(grep -c 'status=sent' "$D/maillog" || true)" -ge "$MESSAGES" ] && break
  sleep 1
done
sleep 6   # one statistics interval of our scache

set +o pipefail
log="$D/maillog"
sent=$(grep -c ' status=sent ' "$log" || true)
reused=$(grep ' status=sent ' "$log" | grep -c 'conn_use=' || true)
echo
echo "== results"
echo "delivered:            $sent of $MESSAGES (status=sent)"
echo "over reused sessions: $reused (conn_use>=2)"
echo "deferred/bounced:     $(grep -cE 'status=(deferred|bounced)' "$log" || true)"
echo "highest conn_use:     $(grep -o 'conn_use=[0-9]*' "$log" | cut -d= -f2 | sort -n | tail -1)"
echo "our scache process:   $(pgrep -af "$D/libexec/scache|scache -l -t unix" | grep -v pgrep | head -1 || echo '(exited)')"
echo "smtp(8) agent:        ${SMTP_AGENT:-ours} ($(grep -c "/smtp\[" "$log") log lines)"
echo
echo "== a few delivery lines"
grep ' status=sent ' "$log" | grep conn_use= | head -3
echo
echo "== statistics logged by our scache"
grep -E '/scache\[[0-9]+\]: statistics:' "$log" | tail -4
echo
echo "== warnings and errors (none expected)"
grep -E 'warning:|error:|fatal:|panic:' "$log" || echo "(none)"
