#!/usr/bin/env bash
# Makes sure a single-node Slurm cluster is up on this machine (munged, slurmctld, slurmd), for
# the test that runs the README's array-job script on a real scheduler. Installs Debian's
# slurm-wlm and munge when missing (root), writes a minimal slurm.conf describing this host's real
# CPUs and memory (as `slurmd -C` reports them), and starts the daemons without systemd (CI
# containers have none). Idempotent: exits at once when the node already answers as idle.
# On failure the last line of stderr says what is wrong.
set -euo pipefail

conf=/etc/slurm/slurm.conf
marker='# written by rulebench scripts/ensure-slurm.sh'
state=/var/lib/slurm-rulebench
logs=/var/log/slurm-rulebench

fail() {
  echo "ensure-slurm: $*" >&2
  exit 1
}

log="$(mktemp)"
new="$(mktemp)"
trap 'rm -f "$log" "$new"' EXIT

pkgs=(slurm-wlm munge)
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  [[ "$(id -u)" -eq 0 ]] || fail "Slurm is missing; install it as root with: apt-get install -y ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Try without refreshing package lists first: apt-get update is slow and often unnecessary.
  if ! apt-get install -y -q --no-install-recommends "${pkgs[@]}" >"$log" 2>&1; then
    if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${pkgs[@]}"; } >"$log" 2>&1; then
      cat "$log" >&2
      fail "apt-get install -y ${pkgs[*]} failed"
    fi
  fi
  for b in slurmctld slurmd munged sbatch; do command -v "$b" >/dev/null || fail "${pkgs[*]} installed but $b is still missing"; done
fi
# slurm.conf: this host, its real CPUs and memory, one partition. Cgroup-free process tracking (by
# process group: scancel reaches every process a task started) and task plugin, so slurmd runs in
# containers without a writable cgroup tree.
host="$(hostname -s)"
# sed reads all of it (head -1 could leave slurmd a SIGPIPE, failing the pipeline under pipefail).
node="$(slurmd -C | sed -n 1p)" # NodeName=<host> CPUs=… Boards=… SocketsPerBoard=… CoresPerSocket=… ThreadsPerCore=… RealMemory=…
[[ "$node" == NodeName=* ]] || fail "slurmd -C did not describe this node: $node"
cat >"$new" <<EOF
$marker
ClusterName=rulebench
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$logs/slurmctld.log
SlurmdLogFile=$logs/slurmd.log
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
# Is the daemon named $1 running? Its PID file must name a live process of that name (a stale file
# from an earlier life of the container may name a reused PID).
running() { [[ "$(cat "/proc/$(cat "/run/$1.pid" 2>/dev/null)/comm" 2>/dev/null)" == "$1" ]]; }
# Fast path: this configuration is in place, its daemons run and its node takes jobs. (sinfo
# retries for seconds when slurmctld is down: ask it only when the daemons are there.)
if cmp -s "$new" "$conf" && running slurmctld && running slurmd &&
  timeout 5 sinfo -h -N -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then exit 0; fi
[[ "$(id -u)" -eq 0 ]] || fail "Slurm is installed but not running; start it as root with: bash scripts/ensure-slurm.sh"

# munge: one key shared by every daemon of the cluster (here, one machine).
mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge
chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- munged --force || fail "munged did not start (see /var/log/munge/munged.log)"
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break || sleep 0.1; done
  munge -n | unmunge >/dev/null 2>&1 || fail "munged started but a credential does not round-trip (see /var/log/munge/munged.log)"
fi

mkdir -p /etc/slurm "$state/ctld" "$state/d" "$logs"
if ! cmp -s "$new" "$conf"; then
  [[ -f "$conf" ]] && ! grep -qF "$marker" "$conf" && fail "$conf exists and was not written by this script; leaving it alone"
  cp "$new" "$conf"
  chmod 0644 "$conf"
  # A changed configuration needs fresh daemons.
  for d in slurmd slurmctld; do
    if running "$d"; then
      kill "$(cat "/run/$d.pid")"
      for _ in $(seq 50); do running "$d" && sleep 0.1 || break; done
    fi
  done
fi

running slurmctld || slurmctld || fail "slurmctld did not start (see $logs/slurmctld.log)"
running slurmd || slurmd || fail "slurmd did not start (see $logs/slurmd.log)"

# Wait (bounded) for the node to register and take jobs; bring it back if an earlier life left it down.
for _ in $(seq 100); do
  st="$(timeout 5 sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)"
  case "$st" in
    idle* | mix* | alloc*) exit 0 ;;
    down* | drain*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
  esac
  sleep 0.2
done
tail -n 5 "$logs/slurmctld.log" "$logs/slurmd.log" >&2 2>/dev/null || true
fail "the Slurm node $host did not come up (state: ${st:-no answer}; logs in $logs)"
