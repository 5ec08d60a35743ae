#!/usr/bin/env bash
# Hosts made of Linux namespaces on this machine, for multi-host MPI tests and measurements (needs root).
# Each host NAME-hK has its own network namespace (eth0 = 10.77.0.K/24, on a bridge in the namespace
# NAME-sw, plus its own loopback), its own hostname (a UTS namespace), its own /dev/shm and /tmp (private
# tmpfs) and its own System V IPC, so MPI sees separate machines and has no shared memory between them: ranks
# on different hosts can only talk over TCP through eth0. Its /mnt is storage only that host sees, kept until
# "down" (a folder of the machine, /var/tmp/HOST.disk). Every other directory is shared, as a cluster's shared
# storage is (put host files, programs and outputs outside /tmp). Nothing is added to the machine's own network.
#
#   hosts.sh up NAME N          make NAME-h1 .. NAME-hN (each resolves the others' names through /etc/netns)
#   hosts.sh run HOST CMD...    run CMD as on HOST; the arguments are joined and run by sh, as ssh does
#   hosts.sh ssh [-opts] HOST CMD...   the same with ssh's options ignored: the launchers' "ssh" (see below)
#   hosts.sh traffic HOST       bytes received and sent on HOST's eth0 so far
#   hosts.sh down NAME          end every process in the hosts and delete them
#
# MPICH:    hosts.sh run NAME-h1 mpiexec.hydra -f hostfile -launcher ssh -launcher-exec "$PWD/ssh" ...
# Open MPI: hosts.sh run NAME-h1 mpirun --mca plm_rsh_agent "$PWD/ssh" ...
# where ssh is a link to this script (the launchers run it as "ssh [options] HOST COMMAND").
set -euo pipefail
self=$(readlink -f "${BASH_SOURCE[0]}")

fail() { echo "hosts.sh: $*" >&2; exit 1; }

up() {
  local name=$1 count=$2 k
  [ "$(id -u)" -eq 0 ] || fail "namespaced hosts need root (ip netns add, unshare)"
  ip netns add "$name-sw"
  ip -n "$name-sw" link add br0 type bridge
  ip -n "$name-sw" link set br0 up
  for k in $(seq "$count"); do
    local host=$name-h$k
    ip netns add "$host"
    ip -n "$name-sw" link add "h$k" type veth peer name eth0 netns "$host"
    ip -n "$name-sw" link set "h$k" master br0 up
    ip -n "$host" addr add "10.77.0.$k/24" dev eth0
    ip -n "$host" link set eth0 up
    ip -n "$host" link set lo up
  done
  # ip netns exec bind-mounts /etc/netns/HOST/* over /etc: each host resolves every host's name.
  for k in $(seq "$count"); do
    mkdir -p "/etc/netns/$name-h$k" "/var/tmp/$name-h$k.disk"
    { echo "127.0.0.1 localhost"; for j in $(seq "$count"); do echo "10.77.0.$j $name-h$j"; done; } >"/etc/netns/$name-h$k/hosts"
  done
}

run() {
  local host=$1; shift
  [ -d "/etc/netns/$host" ] || fail "no host $host (hosts.sh up first)"
  # ip netns exec mounts a fresh /sys, without the machine's cgroup file systems; slurmd needs them: mount them again.
  export HOSTS_CGROUPS
  HOSTS_CGROUPS=$(awk '$2 ~ "^/sys/fs/cgroup" { print $3, $2, $4 }' /proc/self/mounts)
  exec ip netns exec "$host" unshare --uts --ipc --mount -- sh -c '
    hostname "$0" && mount -t tmpfs -o size=2g,mode=1777 dsl-shm /dev/shm && mount -t tmpfs -o mode=1777 dsl-tmp /tmp \
      && mount --bind "/var/tmp/$0.disk" /mnt || exit 1
    echo "$HOSTS_CGROUPS" | while read -r type dir options; do
      [ -n "$type" ] && mkdir -p "$dir" && mount -t "$type" -o "$options" cgroup "$dir"
    done
    unset HOSTS_CGROUPS
    exec sh -c "$*"' "$host" "$@"
}

traffic() {
  local host=$1
  ip netns exec "$host" sh -c 'echo $(($(cat /sys/class/net/eth0/statistics/rx_bytes) + $(cat /sys/class/net/eth0/statistics/tx_bytes)))'
}

down() {
  local name=$1 ns pids
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$name-(h[0-9]+|sw)$" || true); do
    pids=$(ip netns pids "$ns" || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns" "/var/tmp/$ns.disk"
  done
}

case "$(basename "$0")/${1:-}" in
  ssh/*) while [[ "${1:-}" == -* ]]; do shift; done; run "$@" ;;   # called as "ssh [options] HOST COMMAND..."
  */up) shift; up "$@" ;;
  */run) shift; run "$@" ;;
  */ssh) shift; while [[ "${1:-}" == -* ]]; do shift; done; run "$@" ;;
  */traffic) shift; traffic "$@" ;;
  */down) shift; down "$@" ;;
  *) sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
