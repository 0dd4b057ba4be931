#!/bin/sh
# The rig's vif hotplug script (/etc/xen/scripts/pvkit-vif), for the kernel's xen-netback only: puts the vif on the
# bridge its back-end directory names. libxl runs it as "pvkit-vif online|offline|add|remove" with
# XENBUS_PATH=backend/vif/<domid>/<devid> and vif=<name>.
echo "$(date +%T) pvkit-vif $* XENBUS_PATH=$XENBUS_PATH vif=$vif" >> /var/log/xen/hotplug.log
if [ -z "$vif" ]; then d=${XENBUS_PATH#backend/vif/}; vif="vif${d%/*}.${d#*/}"; fi
br=$(xenstore-read "$XENBUS_PATH/bridge" 2>/dev/null); br=${br:-xenbr0}
case "$1" in
online|add) brctl addif "$br" "$vif" && ip link set "$vif" up || exit 1
    xenstore-write "$XENBUS_PATH/hotplug-status" connected ;;
offline|remove) brctl delif "$br" "$vif" 2>/dev/null ;;
esac
exit 0
