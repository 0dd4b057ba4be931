#!/bin/sh
# The rig's block hotplug script (/etc/xen/scripts/pvkit-block), for the kernel's xen-blkback only: a busybox dom0 has
# no udev and no flock, which Xen's stock script needs. libxl runs it as "pvkit-block add|remove" with
# XENBUS_PATH=backend/vbd/<domid>/<devid>; xen-blkback connects once physical-device ("major:minor", hex) is there.
echo "$(date +%T) pvkit-block $* XENBUS_PATH=$XENBUS_PATH" >> /var/log/xen/hotplug.log
case "$1" in
add)
    dev=$(xenstore-read "$XENBUS_PATH/params") || exit 1
    [ -b "$dev" ] || exit 1
    xenstore-write "$XENBUS_PATH/physical-device" "$(stat -L -c '%t:%T' "$dev")" \
                   "$XENBUS_PATH/physical-device-path" "$dev" "$XENBUS_PATH/hotplug-status" connected
    ;;
esac
exit 0
