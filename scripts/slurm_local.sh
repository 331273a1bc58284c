#!/usr/bin/env bash
# Starts (and stops) a real, private one-node Slurm on localhost, for tests of the Slurm executor.
#   scripts/slurm_local.sh start  [STATE_DIR]   # prints: export SLURM_CONF=STATE_DIR/slurm.conf
#   scripts/slurm_local.sh stop   [STATE_DIR]   # cancels its jobs, stops its daemons, keeps logs
#   scripts/slurm_local.sh status [STATE_DIR]   # exit 0 when running, 1 when not
# STATE_DIR (default ${TMPDIR:-/tmp}/tandem_slurm) belongs to this script: munge key, slurm.conf,
# state, spool, logs (*.log, *.out) and pid files all live there; /etc/slurm and /etc/munge are
# never used, so a system Slurm or munged is left alone. Needs Debian's slurm-wlm (22.05) and
# munge, and root (SlurmUser=root; jobs run as their submitter). Why it is built this way:
# - its own munged on its own socket: the system key and daemon may be absent or differ. Clients
#   find the socket through AuthInfo=socket=... in slurm.conf, so SLURM_CONF is all they need.
#   munged refuses a STATE_DIR whose parents are group/world-writable without the sticky bit.
# - free TCP ports picked at each start: never clashes with a system Slurm or another STATE_DIR.
# - proctrack/linuxproc and task/none: no cgroups (containers often lack them or mount them
#   read-only); resources are scheduled, not enforced. Job processes outlive slurmd, so `stop`
#   cancels all jobs first.
# - select/cons_tres with CR_CPU_Memory: every CPU (nproc) is schedulable, hyperthread or not,
#   and DefMemPerCPU stops a job without --mem from taking the whole node's memory.
# - daemons run in the foreground (-D/-F) under setsid: the pid recorded is the daemon's own,
#   with no race against a forking daemon's pid file; a start that fails stops what it started.
# - controller state is kept across stop/start, so job ids keep growing (no output file reuse).
# - batch_sched_delay=0, and start waits for the scheduler's first cycle: a job starts about 1 s
#   after sbatch (by default Slurm may hold batch jobs 3 s, and its first cycle comes ~3 s late).
# Accounting, without slurmdbd (accounting_storage/none): plain `sacct` fails ("Slurm accounting
#   storage is disabled", exit 1). JobCompType=jobcomp/filetxt appends one line per ended job to
#   STATE_DIR/jobcomp.txt (JobState, ExitCode, ArrayJobId, ArrayTaskId...) and `sacct -c` reads it:
#   state and exit code of ended jobs, but array tasks only by their raw job id (and "Unknown type
#   ArrayJobId" errors on stderr). A cancelled running task is CANCELLED with ExitCode 0:0; a
#   pending array task cancelled before it started leaves no record anywhere. `squeue` shows
#   pending/running jobs, and ended ones (CD, F, CA, TO) with -t all for MinJobAge (10 s) only.
set -euo pipefail

cmd=${1:-}
dir=${2:-${TMPDIR:-/tmp}/tandem_slurm}
[[ $cmd =~ ^(start|stop|status)$ ]] || { echo "usage: $0 start|stop|status [DIR]" >&2 && exit 64; }
dir=$(realpath -m -- "$dir") # slurm.conf needs absolute paths
conf=$dir/slurm.conf
export SLURM_CONF=$conf
host=$(hostname -s)

log() { echo "slurm_local: $*" >&2; }

# Whether pid $1 is our daemon $2 (munged, slurmctld or slurmd), alive: it must be $2 and name
# our slurm.conf or munge socket, so a stale pid file never makes us signal someone else.
ours() {
  local args=() want=$conf
  [[ $2 == munged ]] && want=--socket=$dir/munge.socket
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  { mapfile -d '' args <"/proc/$1/cmdline"; } 2>/dev/null || return 1
  ((${#args[@]})) || return 1 # a zombie has an empty command line
  [[ ${args[0]##*/} == "$2" && " ${args[*]} " == *" $want "* ]]
}

# Prints the pid of our daemon $1 from its pid file, when it is alive.
pid_of() {
  local pid=
  { read -r pid <"$dir/$1.pid"; } 2>/dev/null || [[ -n $pid ]] || return 1
  ours "$pid" "$1" && echo "$pid"
}

running() { pid_of munged >/dev/null && pid_of slurmctld >/dev/null && pid_of slurmd >/dev/null; }

stop_all() {
  local d pid i
  if pid_of slurmctld >/dev/null; then
    # linuxproc does not kill a job when slurmd exits: cancel them while the controller is up
    timeout 10 scancel --partition=debug 2>/dev/null || true
    for i in {1..40}; do
      [[ -z $(timeout 5 squeue -h -t running,completing -o %i 2>/dev/null) ]] && break
      sleep 0.25
    done
  fi
  for d in slurmd slurmctld munged; do
    pid=$(pid_of "$d") || { rm -f "$dir/$d.pid"; continue; }
    kill -TERM "$pid" 2>/dev/null || true
    # wait on the pid, not the pid file: slurmctld deletes that before it has finished exiting
    for i in {1..60}; do
      ours "$pid" "$d" || break
      sleep 0.25
    done
    if ours "$pid" "$d"; then
      log "$d ($pid) ignored SIGTERM for 15 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/$d.pid"
  done
}

# Prints a TCP port that nothing on this machine uses (in any state), not one of "$@".
free_port() {
  local used=" $* " f addr p i
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $f ]] || continue
    while read -r _ addr _; do used+="$((16#${addr##*:})) "; done < <(tail -n +2 "$f")
  done
  for i in {1..200}; do
    p=$((20000 + RANDOM % 30000))
    [[ $used == *" $p "* ]] || { echo "$p"; return; }
  done
  log "no free TCP port found"
  return 1
}

# Fails start with message "$*" and the tails of the daemons' logs (the EXIT trap cleans up).
fail() {
  local f
  log "$*"
  for f in "$dir"/*.log "$dir"/*.out; do
    [[ -s $f ]] && { echo "--- tail of $f" && tail -n 10 "$f"; } >&2
  done
  exit 1
}

# Runs daemon $1 with arguments "${@:2}" detached, output to $1.out, recording its pid.
launch() { setsid "$@" </dev/null >>"$dir/$1.out" 2>&1 & echo $! >"$dir/$1.pid"; }

on_exit() { ((ok)) || { stop_all; log "start failed; daemons stopped"; }; }

start() {
  local missing=() b i d state
  for b in munged munge unmunge slurmctld slurmd scontrol sdiag squeue sbatch scancel; do
    command -v "$b" >/dev/null || missing+=("$b")
  done
  if ((${#missing[@]})); then
    log "missing ${missing[*]}; install them: apt-get install slurm-wlm munge"
    exit 2
  fi
  running && { printf 'export SLURM_CONF=%q\n' "$conf" && return; }
  stop_all # a half-dead earlier run (say, slurmd killed): restart it all
  mkdir -p "$dir/ctld" "$dir/slurmd"
  # munged refuses a group/world-writable folder (or parent, unless sticky like /tmp); 0755 also
  # lets other users' clients reach the socket
  chmod 0755 "$dir"
  # From here on, any failure (or Ctrl-C) stops whatever was started.
  ok=0
  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  [[ -s $dir/munge.key ]] || (umask 077 && head -c 1024 /dev/urandom >"$dir/munge.key")
  local sock=$dir/munge.socket
  # (in the foreground munged logs to stderr, so its log is munged.out, not --log-file)
  launch munged -F --key-file="$dir/munge.key" --socket="$sock" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munged.seed"
  for i in {1..40}; do
    munge -n -S "$sock" 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1 && break
    { pid_of munged >/dev/null && ((i < 40)); } || fail "munged did not start ($sock)"
    sleep 0.25
  done

  local cpus mem ctld_port slurmd_port
  cpus=$(nproc)
  # (-C only probes the hardware; SLURM_CONF=/dev/null keeps it off a stale slurm.conf of ours)
  mem=$(SLURM_CONF=/dev/null slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p') ||
    mem=
  [[ -n $mem ]] || mem=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
  mem=$((mem - mem / 10)) # slurmd drains a node that has less memory than RealMemory says
  ctld_port=$(free_port)
  slurmd_port=$(free_port "$ctld_port")
  : >"$dir/plugstack.conf" # an empty SPANK config: no plugin from /etc/slurm/plugstack.conf.d
  cat >"$conf" <<EOF
# Written by scripts/slurm_local.sh at each start; edits are lost.
ClusterName=tandem
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/slurmd
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=$((mem / cpus))
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=10
SchedulerParameters=batch_sched_delay=0
KillWait=5
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  local launched
  launched=$(date +%s)
  launch slurmctld -D -f "$conf"
  launch slurmd -D -f "$conf" -N "$host"

  # Ready once the node is up (idle, or busy with jobs recovered from state), this slurmd has
  # registered (after a restart the controller first shows the node's saved state, idle) and
  # the main scheduler has run once (about 3 s after slurmctld starts; jobs then start at once).
  local deadline=$((SECONDS + 60)) node started cycles
  while :; do
    node=$(timeout 5 scontrol show node "$host" -o 2>/dev/null) || node=
    state=none started=0
    [[ $node =~ \ State=([^ ]+) ]] && state=${BASH_REMATCH[1]}
    if [[ $node =~ SlurmdStartTime=([0-9][^ ]*) ]]; then
      started=$(date -d "${BASH_REMATCH[1]}" +%s) || started=0
    fi
    cycles=$(timeout 5 sdiag 2>/dev/null | sed -n '/^Main schedule/,/^$/s/.*Total cycles: *//p') ||
      cycles=0
    [[ $state =~ ^(IDLE|MIXED|ALLOCATED)$ ]] && ((started >= launched && ${cycles:-0} > 0)) && break
    for d in munged slurmctld slurmd; do
      pid_of "$d" >/dev/null || fail "$d exited during start"
    done
    ((SECONDS < deadline)) || fail "node $host not up within 60 s (State=$state)"
    sleep 0.5
  done
  ok=1
  printf 'export SLURM_CONF=%q\n' "$conf"
}

case $cmd in
start) start ;;
stop) stop_all && log "stopped (logs kept in $dir)" ;;
status)
  running || { log "not running ($dir)" && exit 1; }
  log "running: export SLURM_CONF=$conf"
  ;;
esac
