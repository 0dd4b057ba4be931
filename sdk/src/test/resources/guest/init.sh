#!/bin/busybox sh
# /init of the PVKit probe initramfs (LinuxGuestProbeTest): load the virtio-blk driver, probe /dev/vda, report on
# the serial console, write a marker to sector 1, power off. @MODULES@ is replaced by the module list, in load order.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin

echo "PVKIT-INIT kernel $(uname -r)"
for m in @MODULES@; do
    insmod "/modules/$m.ko" || echo "PVKIT-ERROR insmod $m failed"
done

i=0
while [ ! -b /dev/vda ] && [ $i -lt 600 ]; do
    usleep 100000
    i=$((i + 1))
done
if [ ! -b /dev/vda ]; then
    echo "PVKIT-ERROR no /dev/vda after 60 s; block devices: $(ls /sys/block)"
    dmesg | tail -n 30
    poweroff -f
fi

echo "PVKIT-PROBE vda size=$(cat /sys/block/vda/size)"
echo "PVKIT-HEX $(hexdump -n 16 -C /dev/vda | head -n 1)"
echo "PVKIT-SERIAL $(cat /sys/block/vda/serial 2>/dev/null)"

printf 'PVKIT-MARKER-SECTOR-1' > /tmp/marker
if dd if=/tmp/marker of=/dev/vda bs=512 seek=1 conv=notrunc,fsync 2>/dev/null; then
    sync
    echo "PVKIT-WROTE sector 1"
else
    echo "PVKIT-ERROR dd to /dev/vda failed"
fi
echo "PVKIT-DONE"
poweroff -f
