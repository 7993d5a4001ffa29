#!/usr/bin/env bash
# Two hosts on this machine, for real: two network namespaces joined by a veth pair, rank 0 of a
# `scpl train --distributed` job in one and rank 1 in the other, meeting over the veth addresses
# (10.213.0.1 and .2; never this machine's own interfaces). Needs root (ip netns, tc).
#
#   1. over the bare link: the two-host run equals one process (--pipeline off) bit for bit, and
#      so does BP under 1f1b (activations one way, gradients the other) against 1f1b in one process;
#   2. under `tc netem` 20 ms delay and 1 % loss on both ends (where the kernel has no netem: 1 %
#      random loss by iptables, and no delay): the run completes, equal bit for bit, and the cost
#      is printed (training samples/s against the bare link);
#   3. the link cut mid-epoch (ip link set down): both ranks end within --timeout with a sentence
#      naming the peer, the run folder says failed, and its newest checkpoint loads (scpl eval);
#   4. the link back up: --resume on both hosts finishes the run, bit for bit equal to the uncut one.
#
# usage: scripts/two-hosts.sh [--scpl PATH] [--bench] [--keep DIR]
#   --scpl   the scpl binary (default: the release build, built if missing)
#   --bench  also run `scpl bench distributed` across the namespaces, bare and under netem
#   --keep   copy the run folders and logs to DIR
# Every namespace (and every process in it) is removed on exit, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."

SCPL= BENCH=0 KEEP=
while (($#)); do
  case $1 in
    --scpl) SCPL=$2; shift 2 ;;
    --bench) BENCH=1; shift ;;
    --keep) KEEP=$2; shift 2 ;;
    *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[[ $(id -u) == 0 ]] || { echo "two-hosts: network namespaces need root (ip netns add); run this as root" >&2; exit 2; }
for tool in ip tc python3; do
  command -v $tool >/dev/null || { echo "two-hosts: $tool is missing (apt-get install iproute2 python3)" >&2; exit 2; }
done
if [[ -z $SCPL ]]; then
  swift build -c release -j 2 --product scpl >&2
  SCPL=$(swift build -c release --show-bin-path)/scpl
fi
SCPL=$(realpath "$SCPL")
[[ -x $SCPL ]] || { echo "two-hosts: $SCPL is not an executable" >&2; exit 2; }

tag=$$
A=scpl-a-$tag B=scpl-b-$tag            # the two hosts
VA=scpa$tag VB=scpb$tag                # their ends of the link (interface names: 15 characters at most)
ADDR_A=10.213.0.1 ADDR_B=10.213.0.2 PORT=29500
WORK=$(mktemp -d /tmp/scpl-two-hosts.XXXXXX)

cleanup() {
  local status=$?
  for ns in $A $B; do
    ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del $ns 2>/dev/null || true
  done
  [[ -z $KEEP ]] || { mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/; }
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "two-hosts: FAILED: $*" >&2; exit 1; }
now() { date +%s.%N; }
seconds_since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

ip netns add $A
ip netns add $B
ip link add $VA netns $A type veth peer name $VB netns $B
ip -n $A addr add $ADDR_A/24 dev $VA
ip -n $B addr add $ADDR_B/24 dev $VB
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A link set $VA up
ip -n $B link set $VB up
echo "two-hosts: host A ($A) $ADDR_A <-> host B ($B) $ADDR_B over a veth pair"

# A small SCPL run of VGG on Fashion-MNIST, components 1-2 on rank 0 (host A) and 3-4 on rank 1.
RUN=(train --model vgg --method scpl --dataset fashion-mnist --width 0.125 --epochs 3 --batch-size 64
  --limit-train 512 --limit-test 128 --threads 1 --threads-per-device 1)

# rank R NAMESPACE NAME ARGS...: starts rank R in NAMESPACE in the background; its output goes
# to $WORK/NAME.rankR.log, its exit status to .rc and the time it ended to .end.
rank() {
  local r=$1 ns=$2 name=$3; shift 3
  (
    set +e
    ip netns exec $ns env -u SCPL_STORE_FILE -u GLOO_SOCKET_IFNAME RANK=$r WORLD_SIZE=2 MASTER_ADDR=$ADDR_A \
      MASTER_PORT=$PORT timeout -s KILL 900 "$SCPL" "$@" >"$WORK/$name.rank$r.log" 2>&1
    echo $? >"$WORK/$name.rank$r.rc"
    now >"$WORK/$name.rank$r.end"
  ) &
}

# two NAME ARGS...: rank 0 on host A writing $WORK/NAME, rank 1 on host B; waits for both and
# fails unless both end with status 0.
two() {
  local name=$1; shift
  rank 0 $A $name "$@" --distributed --out "$WORK/$name"
  rank 1 $B $name "$@" --distributed
  wait
  for r in 0 1; do
    [[ $(cat "$WORK/$name.rank$r.rc") == 0 ]] || { tail -5 "$WORK/$name.rank$r.log" >&2; fail "$name: rank $r ended with status $(cat "$WORK/$name.rank$r.rc")"; }
  done
}

samples_per_second() {  # the median training samples/s of a run's epochs 2…
  python3 - "$1" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1] + "/metrics.jsonl") if l.strip()]
print(f"{statistics.median(r['train_samples_per_second'] for r in rows if r['epoch'] >= 2):.1f}")
EOF
}

echo "two-hosts: one process (--pipeline off), the reference"
"$SCPL" "${RUN[@]}" --pipeline off --out "$WORK/reference" >"$WORK/reference.log" 2>&1 || { tail -5 "$WORK/reference.log" >&2; fail "the reference run failed"; }

echo "two-hosts: 1. rank 0 on host A, rank 1 on host B, over the bare link"
two bare "${RUN[@]}" --placement 0,0,1,1 --timeout 60
grep -q "serving component(s) 3, 4" "$WORK/bare.rank1.log" || fail "rank 1 did not serve components 3 and 4"
python3 scripts/same-training.py "$WORK/reference" "$WORK/bare" || fail "the two-host run differs from one process"

# BP's 1F1B over the same link: activations go to host B and gradients come back to host A
# within every step; the same schedule on two devices of one process is the reference.
echo "two-hosts: 1b. BP under 1f1b, a stage on each host, over the bare link"
BP=(--method bp --pipeline 1f1b --micro-batches 4)
"$SCPL" "${RUN[@]}" "${BP[@]}" --devices 2 --placement 0,0,1,1 --out "$WORK/bp-reference" >"$WORK/bp-reference.log" 2>&1 \
  || { tail -5 "$WORK/bp-reference.log" >&2; fail "the one-process 1f1b run failed"; }
two bp-bare "${RUN[@]}" "${BP[@]}" --devices 1 --placement 0,0,1,1 --timeout 60
python3 scripts/same-training.py "$WORK/bp-reference" "$WORK/bp-bare" || fail "the two-host 1f1b run differs from one process"

# impair on|off: 20 ms delay and 1 % loss on both ends of the link with tc netem; where the
# kernel has no netem (sch_netem is not built into every kernel: these machines' is not), 1 %
# random loss on both ends with iptables' statistic match, and no delay (said so).
if tc -n $A qdisc add dev $VA root netem delay 0ms 2>/dev/null; then
  tc -n $A qdisc del dev $VA root
  IMPAIRMENT="tc netem: 20 ms delay and 1 % loss on both ends"
  impair() {
    for end in "$A $VA" "$B $VB"; do
      set -- $end
      if [[ $IMPAIR == on ]]; then tc -n $1 qdisc add dev $2 root netem delay 20ms loss 1%; else tc -n $1 qdisc del dev $2 root; fi
    done
  }
else
  IMPAIRMENT="1 % random loss on both ends (iptables statistic); no delay: this kernel ($(uname -r)) has no tc netem"
  impair() {
    for end in "$A $VA" "$B $VB"; do
      set -- $end
      ip netns exec $1 iptables $([[ $IMPAIR == on ]] && echo -A || echo -D) OUTPUT -o $2 -m statistic --mode random --probability 0.01 -j DROP
    done
  }
fi
dropped() {  # packets the loss rule dropped on both ends so far
  local n=0
  for end in "$A $VA" "$B $VB"; do
    set -- $end
    n=$((n + $(ip netns exec $1 iptables -L OUTPUT -v -x -n 2>/dev/null | awk '/statistic/ {s += $1} END {print s + 0}')))
  done
  echo $n
}

echo "two-hosts: 2. the link impaired: $IMPAIRMENT"
IMPAIR=on impair
two impaired "${RUN[@]}" --placement 0,0,1,1 --timeout 60
python3 scripts/same-training.py "$WORK/reference" "$WORK/impaired" || fail "the run over the impaired link differs from one process"
echo "two-hosts: training samples/s (epochs 2-3): bare link $(samples_per_second "$WORK/bare"), impaired $(samples_per_second "$WORK/impaired")$([[ $IMPAIRMENT == *iptables* ]] && echo "; $(dropped) packets dropped")"
if ((BENCH)); then
  for link in impaired bare; do
    [[ $link == bare ]] && IMPAIR=off impair
    echo "two-hosts: scpl bench distributed across the namespaces ($link link)"
    "$SCPL" bench distributed --ranks 2 --rank-command "ip netns exec $A" --rank-command "ip netns exec $B" \
      --master-addr $ADDR_A --out "$WORK/bench-$link" | sed "s/^/  /"
  done
  IMPAIR=on impair
fi

echo "two-hosts: 3. the link cut in the middle of epoch 2 (ranks' --timeout 20)"
TIMEOUT=20
rank 0 $A cut "${RUN[@]}" --placement 0,0,1,1 --timeout $TIMEOUT --distributed --out "$WORK/cut"
rank 1 $B cut "${RUN[@]}" --placement 0,0,1,1 --timeout $TIMEOUT --distributed
events_size() { cat "$WORK"/cut/events.out.tfevents.* 2>/dev/null | wc -c; }
for _ in $(seq 600); do [[ -e $WORK/cut/checkpoints/run1-epoch0001.safetensors ]] && break; sleep 0.2; done
[[ -e $WORK/cut/checkpoints/run1-epoch0001.safetensors ]] || fail "no checkpoint of epoch 1 within two minutes"
before=$(events_size)
for _ in $(seq 600); do (($(events_size) > before)) && break; sleep 0.1; done
ip -n $A link set $VA down
cut_at=$(now)
echo "  cut the link after $(grep -c '"epoch"' "$WORK/cut/metrics.jsonl") epoch(s) and a step"
wait
for r in 0 1; do
  status=$(cat "$WORK/cut.rank$r.rc") took=$(seconds_since $cut_at "$(cat "$WORK/cut.rank$r.end")")
  echo "  rank $r ended $took s after the cut with status $status: $(grep -v '^\(epoch\|step\|  \)' "$WORK/cut.rank$r.log" | tail -1)"
  [[ $status != 0 ]] || fail "rank $r finished although the link was cut"
  ((status < 128)) || fail "rank $r was killed (status $status) instead of ending with its error"
  python3 -c "import sys; sys.exit(float(sys.argv[1]) > float(sys.argv[2]) + 10)" "$took" $TIMEOUT ||
    fail "rank $r took $took s to end, more than its --timeout $TIMEOUT s (+10 s to stop)"
done
grep -q "rank 1" "$WORK/cut.rank0.log" || fail "rank 0's error does not name rank 1"
grep -q "rank 0" "$WORK/cut.rank1.log" || fail "rank 1's error does not name rank 0"
grep -q '"failed"' "$WORK/cut/summary.json" || fail "summary.json does not say failed: $(cat "$WORK/cut/summary.json")"
"$SCPL" eval --checkpoint "$WORK/cut" --limit-test 128 >"$WORK/cut.eval.log" 2>&1 || { cat "$WORK/cut.eval.log" >&2; fail "the newest checkpoint of the cut run does not load"; }
echo "  summary.json: failed; scpl eval of its newest checkpoint: $(grep -i accuracy "$WORK/cut.eval.log" | head -1)"

echo "two-hosts: 4. the link back up: --resume on both hosts"
ip -n $A link set $VA up
rank 0 $A resume train --resume "$WORK/cut" --timeout 60 --distributed
rank 1 $B resume train --resume "$WORK/cut" --timeout 60 --distributed
wait
for r in 0 1; do
  [[ $(cat "$WORK/resume.rank$r.rc") == 0 ]] || { tail -5 "$WORK/resume.rank$r.log" >&2; fail "the resume's rank $r ended with status $(cat "$WORK/resume.rank$r.rc")"; }
done
python3 scripts/same-training.py "$WORK/reference" "$WORK/cut" || fail "the resumed run differs from the uncut one"
echo "two-hosts: passed"
