#!/bin/busybox sh
# /init of the live Xen rig's PV domU: Linux's own xen-blkfront and xen-netfront (the drivers judged), then the
# workload, its steps as DOMU-* lines on hvc0 (xenconsoled logs them in dom0):
#   disk: a 1 MiB pattern written with O_DIRECT and read back after dropping caches (md5 compared), a flush, a discard;
#     blk=ERROR (not FAIL) when the pattern itself came out wrong;
#   network: 169.254.0.2/24 on eth0, pings to 169.254.0.1 (PVKit's responder, or dom0's bridge for the kernel's back-ends);
#   bench (pvkit.workload=bench): sequential O_DIRECT writes then reads, of BENCH_MIB MiB in 1 MiB requests and of an
#   eighth of that in 4 KiB requests, timed in the guest (its clock runs from Xen's, which follows the host's).
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin
up() { cut -d' ' -f1 /proc/uptime; }
WORKLOAD=certify; BENCH_MIB=32; RING_ORDER=0
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        pvkit.workload=*) WORKLOAD=${arg#pvkit.workload=} ;;
        pvkit.bench_mib=*) BENCH_MIB=${arg#pvkit.bench_mib=} ;;
        pvkit.ring_order=*) RING_ORDER=${arg#pvkit.ring_order=} ;;
    esac
done
echo "DOMU-INIT kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) uptime=$(up)"
for m in $(cat /etc/rig/modules); do
    case $m in
        xen_blkfront) insmod "/lib/modules/rig/$m.ko" max_ring_page_order=$RING_ORDER || echo "DOMU-INIT insmod $m failed" ;;
        *) insmod "/lib/modules/rig/$m.ko" || echo "DOMU-INIT insmod $m failed" ;;
    esac
done
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

blk=FAIL
i=0; while [ ! -b /dev/xvda ] && [ $i -lt 300 ]; do usleep 100000; i=$((i+1)); done
if [ -b /dev/xvda ]; then
    echo "DOMU-BLK xvda size=$(blockdev --getsize64 /dev/xvda) queues=$(ls /sys/block/xvda/mq 2>/dev/null | wc -l) uptime=$(up)"
    if [ "$WORKLOAD" = bench ]; then
        # One line per measurement: DOMU-BENCH <name> bytes=<bytes moved> ms=<guest milliseconds>.
        bench() { # name dd-arguments...
            name=$1; shift
            t0=$(now_ms); dd "$@" 2>/dev/null || blk=FAIL; t1=$(now_ms)
            echo "DOMU-BENCH $name bytes=$BYTES ms=$((t1 - t0))"
        }
        blk=PASS
        BYTES=$((BENCH_MIB * 1048576))
        bench write-1m if=/dev/zero of=/dev/xvda bs=1M count=$BENCH_MIB oflag=direct
        bench read-1m if=/dev/xvda of=/dev/null bs=1M count=$BENCH_MIB iflag=direct
        BYTES=$((BENCH_MIB * 1048576 / 8))
        bench write-4k if=/dev/zero of=/dev/xvda bs=4k count=$((BENCH_MIB * 32)) oflag=direct
        bench read-4k if=/dev/xvda of=/dev/null bs=4k count=$((BENCH_MIB * 32)) iflag=direct
    else
        yes PVKIT-XEN-PATTERN-0123456789abcdef | head -c 1048576 > /tmp/pattern
        want=$(md5sum < /tmp/pattern | cut -d' ' -f1)
        # The pattern is fixed, so is its sum: another one means a tool of the workload failed, not a driver.
        pattern_ok=true
        [ "$want" = af812aec7e86aa41856e94c58fb98784 ] \
            || { pattern_ok=false; echo "DOMU-FAULT the workload's own 1 MiB pattern has md5 $want, not af812aec7e86aa41856e94c58fb98784"; }
        dd if=/tmp/pattern of=/dev/xvda bs=65536 oflag=direct conv=fsync 2>/tmp/dd.err || sed 's/^/DOMU-BLK dd: /' /tmp/dd.err
        sync; blockdev --flushbufs /dev/xvda; echo 3 > /proc/sys/vm/drop_caches
        got=$(dd if=/dev/xvda bs=65536 count=16 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
        echo "DOMU-BLK wrote md5=$want read-back md5=$got"
        if [ "$(cat /sys/block/xvda/queue/discard_max_bytes 2>/dev/null)" != 0 ]; then
            blkdiscard -o 4194304 -l 1048576 /dev/xvda && echo "DOMU-BLK discard ok" || echo "DOMU-BLK discard failed"
        fi
        [ "$want" = "$got" ] && blk=PASS
        $pattern_ok || blk=ERROR
    fi
else
    echo "DOMU-BLK no /dev/xvda"
fi

net=FAIL
i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 200 ]; do usleep 100000; i=$((i+1)); done
if [ -e /sys/class/net/eth0 ]; then
    ip link set lo up
    ip link set eth0 up
    ip addr add 169.254.0.2/24 dev eth0
    echo "DOMU-NET eth0 mac=$(cat /sys/class/net/eth0/address) queues=$(ls -d /sys/class/net/eth0/queues/tx-* | wc -l) uptime=$(up)"
    i=0
    while [ $i -lt 10 ]; do
        if ping -c 3 -W 2 169.254.0.1 > /tmp/ping.out 2>&1; then net=PASS; break; fi
        i=$((i+1)); sleep 1
    done
    # Flows from sixteen source addresses, so that a multi-queue netfront transmits on every queue. It picks a
    # transmit queue from the packet's flow hash (skb_get_hash modulo the queue count), not from the CPU, and an ICMP
    # echo's hash covers its addresses and not its id: every ping from one address to another takes one queue, which
    # one drawn at random at boot (CI saw 23 pings from 11 processes all on q0). Sixteen distinct flows all land on
    # one queue of two once in 32768 boots. Whether they all came back is reported, not judged: the pings above judge the
    # network, and the host counts each queue's transmits from netback's side.
    flows=0
    for a in $(seq 10 25); do
        ip addr add 169.254.0.$a/24 dev eth0
        ping -c 1 -s 1400 -W 2 -I 169.254.0.$a 169.254.0.1 > /tmp/ping-$a.out 2>&1 && flows=$((flows+1))
    done
    echo "DOMU-NET answered flows: $flows of 16"
    sed 's/^/DOMU-NET /' /tmp/ping.out | grep -a 'transmitted\|round-trip'
else
    echo "DOMU-NET no eth0"
fi
# A process of the workload killed by a fault (under TCG, once in a few dozen boots) says nothing of the drivers:
# the kernel's lines about it go to the host, which boots the rig once more rather than judge on such a run.
dmesg | grep -a -E 'segfault at|general protection|invalid opcode|traps:' | head -n 5 | sed 's/^/DOMU-FAULT /'
echo "DOMU-DONE blk=$blk net=$net uptime=$(up)"
while true; do sleep 3600; done
