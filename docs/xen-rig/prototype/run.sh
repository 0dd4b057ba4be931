#!/bin/bash
# Boots the rig built by build.sh: Xen 4.17 + Debian dom0 under QEMU TCG, one QEMU, hard timeout.
# dom0 runs (a) a kernel-backend PV domU (blkback on loop, netback on a bridge) and (b) the host JVM over 9p
# calling libxenstore/libxengnttab/libxenevtchn through JNA.
# Output: run/serial.log (raw serial), run/serial.timed.log (host seconds since QEMU start + line),
#         run/timings.txt. Exit 0 when both phases passed.
# Env: RIG_TIMEOUT (s, default 300), RIG_PHASES (a, b or ab), JAVA_HOME (default: the host's `java`),
#      RIG_DOMU_KERNEL (vmlinux = ELF, default; vmlinuz = bzImage, decompressed by libxenguest),
#      RIG_JAVA_SOURCE=1 (run files/XenProbe.java in source-file mode instead of the precompiled class),
#      RIG_JVM_RUNS (JVM runs in phase b, default 1), RIG_JAVA_OPTS_ALT (JVM options for the even-numbered runs),
#      RIG_SMP (QEMU vCPUs, default 2), RIG_DOM0_VCPUS (default 2), RIG_XEN_EXTRA (more Xen options), RIG_DEBUG=1 (per-module and per-xl-line dom0 timestamps), RIG_LOGLEVEL (dom0 kernel loglevel, default 4).
set -u
RIG=$(cd "$(dirname "$0")" && pwd)
OUT=$RIG/out; RUN=$RIG/run
mkdir -p "$RUN"
LOG=$RUN/serial.log; TLOG=$RUN/serial.timed.log
TIMEOUT=${RIG_TIMEOUT:-300}; PHASES=${RIG_PHASES:-ab}
for f in xen.elf vmlinuz vmlinux dom0-initrd.cpio.gz domu-initrd.cpio.gz java/XenProbe.class; do
  [ -e "$OUT/$f" ] || { echo "missing $OUT/$f: run build.sh" >&2; exit 2; }
done
if pgrep qemu-system > /dev/null; then echo "note: another qemu-system-x86_64 is running (CPU is shared)" >&2; fi

JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
JNA_JAR=$(sed -n 's/^jna //p' "$OUT/MANIFEST")
# RIG_JAVA_SOURCE=1: java's source-file mode (java -cp jna.jar XenProbe.java, compiled in the guest).
if [ "${RIG_JAVA_SOURCE:-0}" = 1 ]; then CP=$JNA_JAR; MAIN=$RIG/files/XenProbe.java; else CP=$OUT/java:$JNA_JAR; MAIN=XenProbe; fi
# Read by dom0's init over 9p (host paths; dom0 sees the host root at /host).
cat > "$RUN/rig.env" <<ENV
JAVA_HOME=$JAVA_HOME
CLASSPATH=$CP
JAVA_OPTS="${RIG_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -XX:-UsePerfData}"
MAIN=$MAIN
JVM_RUNS=${RIG_JVM_RUNS:-1}
PVKIT_CLASSPATH=${RIG_PVKIT_CLASSPATH:-}
JAVA_OPTS_ALT="${RIG_JAVA_OPTS_ALT:-}"
ENV

XEN_CMDLINE="console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M dom0_max_vcpus=${RIG_DOM0_VCPUS:=$(( ${RIG_SMP:-2} < 2 ? ${RIG_SMP:-2} : 2 ))} bootscrub=0 noreboot smap=0 ${RIG_XEN_EXTRA:-}"
# Module 1 is the dom0 kernel with its command line after the file name; no commas allowed in it (QEMU splits modules on ',').
DOM0_CMDLINE="console=hvc0 earlyprintk=xen loglevel=${RIG_LOGLEVEL:-4} rig.dir=$RIG rig.phases=$PHASES rig.debug=${RIG_DEBUG:-0} rig.domu_kernel=${RIG_DOMU_KERNEL:-vmlinux}"

: > "$LOG"
# Host CPU accounting: the machine is shared, and TCG timings swing with what else runs on its 2 cores.
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
B0=$(busy)
T0=${EPOCHREALTIME/./}
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
  -accel tcg -cpu max -smp ${RIG_SMP:-2} -m 3072 \
  -display none -monitor none -nic none -no-reboot \
  -chardev file,id=ser0,path="$LOG" -serial chardev:ser0 \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -virtfs local,path=/,mount_tag=hostfs,security_model=none,readonly=on,multidevs=remap \
  -kernel "$OUT/xen.elf" -append "$XEN_CMDLINE" \
  -initrd "$OUT/vmlinuz $DOM0_CMDLINE,$OUT/dom0-initrd.cpio.gz" &
QPID=$!
sleep 0.2; QEMU_PID=$(pgrep -P $QPID -x qemu-system-x86 || true)   # comm is cut to 15 chars
# Timestamp each serial line with host seconds since QEMU started.
( tail -n +1 -F --pid=$QPID "$LOG" 2>/dev/null | while IFS= read -r line; do
    now=${EPOCHREALTIME/./}; d=$(( now - T0 ))
    printf '%4d.%03d %s\n' $((d / 1000000)) $(((d / 1000) % 1000)) "${line%$'\r'}"
  done > "$TLOG" ) &
TPID=$!
wait $QPID; rc=$?
T1=${EPOCHREALTIME/./}
B1=$(busy)
# Children's CPU seconds (timeout -> qemu), from the shell's `times` (second line: user and sys).
times > "$RUN/times.txt"   # not in $(...): a subshell has no children
QCPU=$(tail -1 "$RUN/times.txt" | awk '{ split($1,u,"m"); split($2,s,"m"); printf "%.1f", u[1]*60+u[2]+s[1]*60+s[2] }')
WALL=$(( (T1 - T0) / 1000 ))
HOSTCPU=$(awk -v b=$((B1 - B0)) -v hz=$(getconf CLK_TCK) 'BEGIN{printf "%.1f", b/hz}')
sleep 0.5; kill $TPID 2>/dev/null; wait $TPID 2>/dev/null

# QEMU's isa-debug-exit gives (value << 1) | 1, value bit0 = (a) failed, bit1 = (b) failed; 124/137 = timeout.
case $rc in
  124|137) verdict="TIMEOUT after ${TIMEOUT}s" ;;
  1|3|5|7)
    st=$(( (rc - 1) / 2 )); verdict=""
    case $PHASES in *a*) [ $((st & 1)) = 0 ] && verdict="$verdict a=PASS" || verdict="$verdict a=FAIL" ;; esac
    case $PHASES in *b*) [ $((st & 2)) = 0 ] && verdict="$verdict b=PASS" || verdict="$verdict b=FAIL" ;; esac
    grep -q 'RIG-RESULT b PASS-RETRIED' "$TLOG" && verdict="$verdict (b passed on its retry)"
    [ $st = 0 ] && verdict="PASS:$verdict" || verdict="FAIL:$verdict" ;;
  *) verdict="FAIL (qemu exit $rc, no result written)" ;;
esac
{
  echo "# run $(date -u +%FT%TZ) phases=$PHASES qemu-exit=$rc wall=${WALL} ms smp=${RIG_SMP:-2} dom0_vcpus=${RIG_DOM0_VCPUS:-2} xen_extra='${RIG_XEN_EXTRA:-}'"
  echo "# host CPU: ${HOSTCPU} s busy on 2 cores in $((WALL / 1000)) s, of which this shell's children (QEMU, timestamper) ${QCPU} s, others $(awk -v h=$HOSTCPU -v q=$QCPU 'BEGIN{printf "%.1f", h-q}') s"
  echo "# host-s = seconds since QEMU start, as the host saw the serial line; dom0-uptime = dom0 kernel uptime"
  grep -E ' (RIG-MARK|RIG-RESULT)' "$TLOG" | awk '{ $0 = $1 " " substr($0, index($0, $2)); print }'
  echo "verdict: $verdict"
} > "$RUN/timings.txt"
cat "$RUN/timings.txt"
cat "$RUN/timings.txt" >> "$RUN/history.log"
# Keep the serial log of any run that failed or needed a retry.
if [ $rc != 1 ] || grep -q 'PASS-RETRIED' "$TLOG"; then cp "$TLOG" "$RUN/serial-$(date +%Y%m%dT%H%M%S)-rc$rc.timed.log"; fi
if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then echo "WARNING: QEMU $QEMU_PID still running; killing it" >&2; kill -9 "$QEMU_PID"; fi
[ $rc = 1 ]
