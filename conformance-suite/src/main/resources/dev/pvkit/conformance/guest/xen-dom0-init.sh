#!/bin/busybox sh
# /init of the live Xen rig's dom0 (Debian's kernel as a PV dom0 under Xen 4.17, busybox, Xen's tools from the
# packages). The host hands over two 9p shares: its root, read-only, at /host (the JDK, PVKit's classes, the domU
# images), and the run directory, writable, at /pvkit. /pvkit/rig.env says what to run. Steps:
#   Xen's daemons -> the domU created paused -> the back-ends: PVKit's in the host's JVM (RIG_BACKENDS=pvkit), or
#   the kernel's xen-blkback and xen-netback (RIG_BACKENDS=kernel) -> domU unpaused, its workload runs -> results in
#   /pvkit -> QEMU stopped through isa-debug-exit (port 0xf4): 0 = the rig ran to its end; 1 = a step failed.
# Every step prints a "PVKIT-RIG" line on the serial console; the host follows them.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /host /pvkit
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mkdir -p /dev/pts /dev/shm
/bin/busybox mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
/bin/busybox mount -t tmpfs tmpfs /dev/shm
/bin/busybox --install -s /bin
export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/usr/lib/xen-4.17/lib/x86_64-linux-gnu
up() { cut -d' ' -f1 /proc/uptime; }
step() { echo "PVKIT-RIG $1 dom0-uptime=$(up) $2"; }
finish() { # status: 0 ran to the end, 1 a step failed
    # A JVM crash log is written to dom0's own tmpfs first (a crashing JVM should not depend on 9p), kept here.
    [ -s /tmp/hs_err.log ] && cp /tmp/hs_err.log /pvkit/hs_err.log
    # A process here killed by a fault (Xen's tools; the JVM handles its own signals and leaves hs_err.log instead).
    dmesg | grep -a -E 'segfault at|general protection|invalid opcode|traps:' | head -n 5 \
        | while read -r l; do step dom0-fault "$l"; done
    step done "status=$1"
    sync
    printf "\\$(printf %03o "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    sleep 2; poweroff -f
}
fail() { step failed "$1"; echo "$1" > /pvkit/failure 2>/dev/null; cp /var/log/xen/*.log /pvkit/ 2>/dev/null; finish 1; }
step dom0-init "kernel=$(uname -r) vex=$(grep -m 1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -c -E '^(avx|avx2|fma|f16c)$') fsgsbase=$(grep -m 1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -c '^fsgsbase$')"

for m in $(cat /etc/rig/modules); do insmod "/lib/modules/rig/$m.ko" || step insmod-failed "$m"; done
mount -t xenfs xenfs /proc/xen || fail "cannot mount xenfs"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostfs /host || fail "cannot mount the host's root (9p)"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 pvkitrun /pvkit || fail "cannot mount the run directory (9p)"
[ -r /pvkit/rig.env ] || fail "no /pvkit/rig.env"
. /pvkit/rig.env
# The host's JDK has absolute links into /etc/java-NN-openjdk (jvm.cfg, security files): point them at the host's.
for d in /host/etc/java-*; do [ -e "$d" ] && ln -sfn "$d" "/etc/${d#/host/etc/}"; done
step modules-loaded

mkdir -p /run/xen /run/xenstored /run/lock /var/lib/xen /var/lib/xenstored /var/log/xen/console /tmp/jna
xenstored --pid-file=/run/xenstored.pid || fail "xenstored did not start"
i=0; while ! xenstore-exists / 2>/dev/null && [ $i -lt 100 ]; do usleep 100000; i=$((i+1)); done
xen-init-dom0 > /tmp/xen-init-dom0.out 2>&1 || fail "xen-init-dom0: $(tail -n 1 /tmp/xen-init-dom0.out)"
xenconsoled --log=guest --log-dir=/var/log/xen/console --pid-file=/run/xenconsoled.pid || fail "xenconsoled did not start"
xl info > /pvkit/xl-info.txt 2>&1 || fail "xl info failed"
step dom0-ready "$(grep -E '^xen_version' /pvkit/xl-info.txt | tr -s ' ')"

cat > /etc/xen/pvkit-domu.cfg <<CFG
name = "pvkit-domu"
type = "pv"
kernel = "$DOMU_KERNEL"
ramdisk = "$DOMU_INITRD"
extra = "console=hvc0 loglevel=7 $DOMU_ARGS"
memory = $DOMU_MEMORY
vcpus = $DOMU_VCPUS
on_poweroff = "destroy"
on_crash = "preserve"
CFG
if [ "$RIG_BACKENDS" = kernel ]; then
    # The kernel's own back-ends, for side-by-side numbers: xen-blkback on a loop device, xen-netback on a bridge.
    brctl addbr xenbr0 && ip addr add 169.254.0.1/24 dev xenbr0 && ip link set xenbr0 up || fail "no bridge"
    dd if=/dev/zero of=/tmp/disk.img bs=1M count=$DISK_MIB 2>/dev/null
    losetup /dev/loop0 /tmp/disk.img || fail "losetup failed"
    cat >> /etc/xen/pvkit-domu.cfg <<CFG
disk = [ 'format=raw,vdev=xvda,access=rw,backendtype=phy,script=pvkit-block,target=/dev/loop0' ]
vif = [ 'mac=00:16:3e:5a:00:02,bridge=xenbr0,script=pvkit-vif' ]
CFG
fi
step domu-create "vcpus=$DOMU_VCPUS memory=$DOMU_MEMORY backends=$RIG_BACKENDS"
timeout 120 xl create -p /etc/xen/pvkit-domu.cfg > /pvkit/xl-create.log 2>&1 || { fail "xl create: $(grep -m 2 -i error /pvkit/xl-create.log | tr '\n' ' ')"; }
domid=$(xl domid pvkit-domu)
step domu-created "domid=$domid"

jvm=""
if [ "$RIG_BACKENDS" = pvkit ]; then
    # The JVM runs from copies in dom0's own tmpfs, not from the 9p share: a rebuild on the host while the rig runs
    # cannot change its classes or jars under it (that once failed a run with a class that would not load), and the
    # files it maps (module image, CDS archive, libjvm.so) are not 9p files. About 5 s for 170 MiB.
    mkdir -p /tmp/jdk /tmp/cp
    for d in bin conf lib release; do
        [ -e "$JAVA_HOME/$d" ] && { cp -a "$JAVA_HOME/$d" /tmp/jdk/ || fail "cannot copy the host's JDK ($d) into dom0"; }
    done
    rm -f /tmp/jdk/lib/ct.sym /tmp/jdk/lib/src.zip /tmp/jdk/lib/server/classes_nocoops.jsa
    cp_local=""; n=0
    for e in $(echo "$CLASSPATH" | tr ':' ' '); do
        n=$((n+1)); mkdir -p /tmp/cp/$n
        cp -a "$e" /tmp/cp/$n/ || fail "cannot copy $e into dom0"
        cp_local="$cp_local${cp_local:+:}/tmp/cp/$n/$(basename "$e")"
    done
    step jvm-copied "jdk=$(du -sm /tmp/jdk | cut -f1)MiB classpath=$(du -sm /tmp/cp | cut -f1)MiB"
    /tmp/jdk/bin/java $JAVA_OPTS -Djna.tmpdir=/tmp/jna -cp "$cp_local" $MAIN "$domid" /pvkit "$DISK_MIB" > /pvkit/dom0-jvm.log 2>&1 &
    jvm=$!
    i=0; while [ ! -e /pvkit/ready ] && kill -0 $jvm 2>/dev/null && [ $i -lt 600 ]; do usleep 200000; i=$((i+1)); done
    [ -e /pvkit/ready ] || fail "PVKit's back-ends did not start: $( (grep -m 2 -E 'Exception|Error' /pvkit/dom0-jvm.log || tail -n 3 /pvkit/dom0-jvm.log) | tr '\n' ' ')"
    step backends-ready "$(cat /pvkit/ready)"
fi
xl unpause pvkit-domu || fail "xl unpause failed"
step domu-running
log=/var/log/xen/console/guest-pvkit-domu.log
keep_console() { tr -d '\r' < $log > /pvkit/domu-console.log 2>/dev/null; }
i=0; n=$((DOMU_WAIT * 5))
while ! grep -q DOMU-DONE $log 2>/dev/null && [ $i -lt $n ]; do
    usleep 200000; i=$((i+1))
    if [ $((i % 25)) = 0 ]; then
        step domu-progress "$(grep -a 'DOMU-' $log 2>/dev/null | tail -n 1 | tr -d '\r')"
        # A copy the host reads even when its own timeout ends the run before this loop does: the domU's kernel
        # lines (loglevel 7 puts a process's fault there) then still say what became of the workload.
        keep_console
        # A panicked domU never finishes: no use waiting for it.
        grep -q 'Kernel panic' $log 2>/dev/null && break
    fi
done
keep_console
grep -q DOMU-DONE /pvkit/domu-console.log && step domu-done "$(grep -a DOMU-DONE /pvkit/domu-console.log)" \
    || step domu-timeout "no DOMU-DONE within $DOMU_WAIT s"
xenstore-ls -f /local/domain/0/backend > /pvkit/xenstore-backend.txt 2>&1
xenstore-ls -f /local/domain/$domid/device > /pvkit/xenstore-frontend.txt 2>&1
if [ -n "$jvm" ]; then
    touch /pvkit/stop
    i=0; while kill -0 $jvm 2>/dev/null && [ $i -lt 300 ]; do usleep 200000; i=$((i+1)); done
    kill -0 $jvm 2>/dev/null && { kill -9 $jvm; step jvm-killed "PVKit's back-ends did not stop within 60 s"; }
    [ -e /pvkit/events-written ] || step jvm-failed "no events written: $(tail -n 3 /pvkit/dom0-jvm.log | tr '\n' ' ')"
fi
timeout 60 xl destroy pvkit-domu > /dev/null 2>&1
step domu-destroyed
[ -s /var/log/xen/hotplug.log ] && cp /var/log/xen/hotplug.log /pvkit/hotplug.log
finish 0
