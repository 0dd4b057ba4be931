#!/bin/busybox sh
# /init of the rig's PV domU: load blkfront and netfront, write a pattern to xvda and read it back with
# O_DIRECT after dropping caches, ping dom0 over netfront, print DOMU-* lines on hvc0 (logged by xenconsoled).
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin
up() { cut -d' ' -f1 /proc/uptime; }
echo "DOMU-INIT up kernel=$(uname -r) uptime=$(up)"
for m in $(cat /etc/rig/modules); do insmod "/lib/modules/rig/$m.ko" || echo "DOMU-INIT insmod $m failed"; done

blk=FAIL
i=0; while [ ! -b /dev/xvda ] && [ $i -lt 200 ]; do usleep 100000; i=$((i+1)); done
if [ -b /dev/xvda ]; then
    echo "DOMU-BLK xvda size=$(blockdev --getsize64 /dev/xvda) uptime=$(up)"
    yes XENRIG-PATTERN-0123456789abcdef | head -c 1048576 > /tmp/pattern
    want=$(md5sum < /tmp/pattern | cut -d' ' -f1)
    dd if=/tmp/pattern of=/dev/xvda bs=65536 oflag=direct conv=fsync 2>/tmp/dd.err || cat /tmp/dd.err
    sync; blockdev --flushbufs /dev/xvda; echo 3 > /proc/sys/vm/drop_caches
    got=$(dd if=/dev/xvda bs=65536 count=16 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
    echo "DOMU-BLK wrote md5=$want read-back md5=$got"
    [ "$want" = "$got" ] && blk=PASS
else
    echo "DOMU-BLK no /dev/xvda"
fi

net=FAIL
i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 200 ]; do usleep 100000; i=$((i+1)); done
if [ -e /sys/class/net/eth0 ]; then
    ip link set lo up
    ip link set eth0 up
    ip addr add 169.254.0.2/24 dev eth0
    echo "DOMU-NET eth0 mac=$(cat /sys/class/net/eth0/address) uptime=$(up)"
    # The vif may join the bridge a moment after the frontend connects: retry for up to ~20 s.
    i=0
    while [ $i -lt 10 ]; do
        if ping -c 3 -W 2 169.254.0.1 > /tmp/ping.out 2>&1; then net=PASS; break; fi
        i=$((i+1)); sleep 1
    done
    sed 's/^/DOMU-NET /' /tmp/ping.out
else
    echo "DOMU-NET no eth0"
fi
echo "DOMU-DONE blk=$blk net=$net uptime=$(up)"
# dom0 destroys the domain when it has read the result.
while true; do sleep 3600; done
