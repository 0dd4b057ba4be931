#!/bin/busybox sh
# /init of the PVKit default guest: mount the kernel file systems, load the virtio modules (in the dependency
# order the image builder wrote to /etc/pvkit/modules), then hand the agent channel to the guest agent.
# Kernel messages stay on the console (ttyS0); the agent channel carries nothing but the agent protocol.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin

for m in $(cat /etc/pvkit/modules); do
    insmod "/lib/modules/$m.ko" || echo "PVKIT-INIT insmod $m failed"
done

agent=ttyS1
for arg in $(cat /proc/cmdline); do
    case "$arg" in pvkit.agent=*) agent=${arg#pvkit.agent=} ;; esac
done
# hvc0 appears only once virtio_console has probed; a serial port is there from the start.
i=0
while [ ! -c "/dev/$agent" ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done

echo "PVKIT-INIT kernel $(uname -r), agent on /dev/$agent"
/bin/pvkit-agent "/dev/$agent"
echo "PVKIT-INIT agent exited with $?; powering off"
poweroff -f
