#!/bin/busybox sh
# PVKit guest agent, protocol version 1 (PVKit spec, Appendix B). Reads one command per line from the agent
# channel and answers each with exactly one result line, "OK ..." or "ERR <message>"; DMESG sends "| " data lines
# before its result line. Usage: pvkit-agent <tty>|-   ("-" = stdin/stdout, for tests on a host).
# PVKIT_AGENT_SYSROOT (tests only) prefixes /dev and /sys and lets regular files stand in for block devices.
VERSION=1
SYSROOT=${PVKIT_AGENT_SYSROOT:-}
CR=$(printf '\r')
READ_ERR=/tmp/pvkit-read.err

reply() { printf '%s\n' "$*"; }

# Collapses a command's output into one printable line for an ERR message.
oneline() { tr '\n\r\t' '   ' | sed 's/[^ -~]/?/g; s/  */ /g; s/^ //; s/ $//'; }

isnum() { case "$1" in '' | *[!0-9]*) return 1 ;; esac; [ ${#1} -le 18 ]; }

# "vda" or "/dev/vda" -> the device node, if it is a block device.
devnode() {
    n=${1#/dev/}
    case "$n" in '' | *[!a-z0-9]*) return 1 ;; esac
    p="$SYSROOT/dev/$n"
    [ -b "$p" ] || { [ -n "$SYSROOT" ] && [ -f "$p" ]; } || return 1
    echo "$p"
}

# Size in bytes of block device $1 (a name such as vda).
devsize() {
    if [ -r "$SYSROOT/sys/block/$1/size" ]; then echo $(($(cat "$SYSROOT/sys/block/$1/size") * 512))
    else wc -c <"$SYSROOT/dev/$1"; fi
}

# The pattern of Appendix B.4 in busybox awk: xorshift32 (13, 17, 5) from the seed (0 -> 0x6d2b79f5), each state
# emitted as 4 little-endian bytes, the stream cut at $1 bytes. Printed as hex, 64 bytes a line, for xxd -r -p.
pattern() {
    awk -v n="$1" -v s="$2" 'BEGIN {
        M = 4294967295; x = and(s, M); if (x == 0) x = 1831565813; line = ""
        for (i = 0; i < n;) {
            x = xor(x, and(lshift(x, 13), M)); x = xor(x, rshift(x, 17)); x = xor(x, and(lshift(x, 5), M))
            for (k = 0; k < 4 && i < n; k++) { line = line sprintf("%02x", and(rshift(x, 8 * k), 255)); i++ }
            if (length(line) >= 128) { print line; line = "" }
        }
        if (line != "") print line
    }'
}

# pattern_bytes LENGTH SEED: the pattern's bytes on stdout. pvkit-pattern, shipped in PVKit's initramfs, makes a MiB in
# milliseconds; awk, the fallback for an initramfs without it, takes about half a minute per MiB under TCG, half of
# the host's minute for one command.
pattern_bytes() {
    if command -v pvkit-pattern >/dev/null 2>&1; then pvkit-pattern "$1" "$2"; else pattern "$1" "$2" | xxd -r -p; fi
}

# Checks <dev> <offset> <length> and sets $dev, $name; prints the ERR itself.
range() {
    dev=$(devnode "$1") || { reply "ERR no block device $1"; return 1; }
    name=${dev##*/}
    isnum "$2" && isnum "$3" || { reply "ERR offset and length must be decimal byte counts"; return 1; }
    size=$(devsize "$name")
    [ $(($2 + $3)) -le "$size" ] || { reply "ERR range $2+$3 beyond the end of $name ($size bytes)"; return 1; }
}

# An optional last word "direct" makes WRITE and READ bypass the guest's page cache (O_DIRECT): each becomes the
# driver's requests at once, not a write-back or read-ahead later.
directflag() {
    case "$1" in
        "") echo "" ;;
        direct) echo ",direct" ;;
        *) return 1 ;;
    esac
}

cmd_write() {
    [ $# -eq 4 ] || [ $# -eq 5 ] || { reply "ERR usage: WRITE <dev> <offset> <length> <seed> [direct]"; return; }
    range "$1" "$2" "$3" || return
    isnum "$4" && [ "$4" -le 4294967295 ] || { reply "ERR seed must be a decimal 0..4294967295"; return; }
    direct=$(directflag "${5:-}") || { reply "ERR the fifth word may only be 'direct'"; return; }
    [ "$3" -eq 0 ] && { reply "OK"; return; }
    if out=$(set -o pipefail; pattern_bytes "$3" "$4" \
            | dd of="$dev" bs=65536 oflag=seek_bytes$direct seek="$2" iflag=fullblock conv=notrunc 2>&1); then
        reply "OK"
    else
        reply "ERR write failed: $(echo "$out" | oneline)"
    fi
}

cmd_read() {
    [ $# -eq 3 ] || [ $# -eq 4 ] || { reply "ERR usage: READ <dev> <offset> <length> [direct]"; return; }
    range "$1" "$2" "$3" || return
    direct=$(directflag "${4:-}") || { reply "ERR the fourth word may only be 'direct'"; return; }
    # Drop the guest's cached copy first, so the hash is of what the device returns now.
    blockdev --flushbufs "$dev" 2>/dev/null
    if sum=$(set -o pipefail; dd if="$dev" bs=65536 iflag=skip_bytes,count_bytes$direct skip="$2" count="$3" \
            2>"$READ_ERR" | sha256sum); then
        reply "OK sha256=${sum%% *}"
    else
        reply "ERR read failed: $(oneline <"$READ_ERR")"
    fi
}

cmd_flush() {
    [ $# -eq 1 ] || { reply "ERR usage: FLUSH <dev>"; return; }
    dev=$(devnode "$1") || { reply "ERR no block device $1"; return; }
    # fsync on the device node writes back its dirty pages and sends the device a cache flush.
    if out=$(sync "$dev" 2>&1 && { blockdev --flushbufs "$dev" 2>&1 || [ -n "$SYSROOT" ]; }); then
        reply "OK"
    else
        reply "ERR flush failed: $(echo "$out" | oneline)"
    fi
}

cmd_discard() {
    [ $# -eq 3 ] || { reply "ERR usage: DISCARD <dev> <offset> <length>"; return; }
    range "$1" "$2" "$3" || return
    max=$(cat "$SYSROOT/sys/block/$name/queue/discard_max_bytes" 2>/dev/null || echo 0)
    [ "$max" -gt 0 ] || { reply "ERR unsupported: $name does not discard"; return; }
    if out=$(blkdiscard -o "$2" -l "$3" "$dev" 2>&1); then reply "OK"
    else reply "ERR discard failed: $(echo "$out" | oneline)"; fi
}

cmd_zeroes() {
    [ $# -eq 3 ] || { reply "ERR usage: ZEROES <dev> <offset> <length>"; return; }
    range "$1" "$2" "$3" || return
    # BLKZEROOUT: WRITE_ZEROES requests where the driver negotiated them, else writes of zeroes (busybox has no tool).
    pvkit-zeroout "$dev" "$2" "$3"
    rc=$?
    case $rc in
    0) reply "OK" ;;
    5) reply "ERR zeroes failed: I/O error (EIO)" ;;
    22) reply "ERR zeroes failed: range not aligned to the logical block size (EINVAL)" ;;
    *) reply "ERR zeroes failed: errno $rc" ;;
    esac
}

# BATCH runs its commands at once, each in a subshell of its own, so that their requests are in flight together.
# A command is a WRITE, READ, ZEROES or DISCARD line with ':' in place of its spaces; each answers as it would alone.
cmd_batch() {
    [ $# -ge 1 ] && [ $# -le 16 ] || { reply "ERR usage: BATCH <command> ... (1 to 16 commands)"; return; }
    for c in "$@"; do
        case "$c" in WRITE:* | READ:* | ZEROES:* | DISCARD:*) ;;
        *) reply "ERR BATCH runs WRITE, READ, ZEROES and DISCARD only, not $(echo "${c%%:*}" | oneline)"; return ;;
        esac
    done
    i=0
    for c in "$@"; do
        i=$((i + 1))
        (
            READ_ERR=/tmp/pvkit-batch.$i.err
            IFS=:
            set -- $c
            IFS=' '
            verb=$1
            shift
            case "$verb" in
            WRITE) cmd_write "$@" ;; READ) cmd_read "$@" ;; ZEROES) cmd_zeroes "$@" ;; DISCARD) cmd_discard "$@" ;;
            esac
        ) >/tmp/pvkit-batch.$i 2>/dev/null &
    done
    wait
    i=0
    for c in "$@"; do
        i=$((i + 1))
        printf '| %s\n' "$(head -n 1 /tmp/pvkit-batch.$i)"
        rm -f /tmp/pvkit-batch.$i /tmp/pvkit-batch.$i.err
    done
    reply "OK commands=$#"
}

cmd_rebind() {
    [ $# -eq 2 ] || { reply "ERR usage: REBIND <driver> <device>"; return; }
    case "$1$2" in *[!A-Za-z0-9_.:-]*) reply "ERR bad driver or device name"; return ;; esac
    drv=""
    for d in "$SYSROOT"/sys/bus/*/drivers/"$1"; do [ -d "$d" ] && drv=$d; done
    [ -n "$drv" ] || { reply "ERR no driver $1"; return; }
    [ -e "$drv/$2" ] || { reply "ERR $2 is not bound to $1"; return; }
    if out=$( { printf '%s' "$2" >"$drv/unbind" && printf '%s' "$2" >"$drv/bind"; } 2>&1); then
        [ -e "$drv/$2" ] && reply "OK" || reply "ERR $2 did not bind again to $1"
    else
        reply "ERR rebind failed: $(echo "$out" | oneline)"
    fi
}

cmd_dmesg() {
    [ $# -eq 0 ] || { reply "ERR usage: DMESG"; return; }
    # -c clears what was read, so the next DMESG returns only newer messages.
    dmesg -c 2>/dev/null | sed 's/[^ -~]/?/g' >/tmp/pvkit-dmesg
    while IFS= read -r l; do reply "| $l"; done </tmp/pvkit-dmesg
    reply "OK lines=$(wc -l </tmp/pvkit-dmesg | tr -d ' ')"
}

# Network commands: <if> is an interface name (eth0), <addr> a dotted IPv4 address.
netif() {
    case "$1" in '' | *[!a-z0-9]*) return 1 ;; esac
    [ -d "$SYSROOT/sys/class/net/$1" ]
}

isaddr() { echo "$1" | grep -qE '^[0-9]{1,3}(\.[0-9]{1,3}){3}$'; }

isport() { isnum "$1" && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

cmd_netup() {
    [ $# -eq 2 ] || { reply "ERR usage: NETUP <if> <addr>/<prefix>"; return; }
    netif "$1" || { reply "ERR no network interface $1"; return; }
    isaddr "${2%/*}" && isnum "${2#*/}" && [ "${2#*/}" -le 32 ] || { reply "ERR address must be a.b.c.d/prefix"; return; }
    if out=$(ip link set "$1" up 2>&1 && ip addr add "$2" dev "$1" 2>&1); then
        reply "OK mac=$(cat /sys/class/net/$1/address) mtu=$(cat /sys/class/net/$1/mtu)"
    else
        reply "ERR $(echo "$out" | oneline)"
    fi
}

cmd_netinfo() {
    [ $# -eq 1 ] || { reply "ERR usage: NETINFO <if>"; return; }
    netif "$1" || { reply "ERR no network interface $1"; return; }
    s="$SYSROOT/sys/class/net/$1"
    feat=$(cat "$s/device/features" 2>/dev/null || echo -)
    drv=$(basename "$(readlink "$s/device/driver" 2>/dev/null)" 2>/dev/null)
    vdev=$(basename "$(readlink -f "$s/device" 2>/dev/null)" 2>/dev/null)
    queues=$(ls -d "$s"/queues/rx-* 2>/dev/null | wc -l)
    carrier=$(cat "$s/carrier" 2>/dev/null || echo -) # unreadable while the interface is down
    reply "OK mac=$(cat "$s/address") mtu=$(cat "$s/mtu") device=${vdev:--} driver=${drv:--} queues=$queues" \
        "rx=$(cat "$s/statistics/rx_packets") tx=$(cat "$s/statistics/tx_packets") carrier=$carrier features=$feat"
}

cmd_netping() {
    [ $# -ge 2 ] && [ $# -le 4 ] || { reply "ERR usage: NETPING <addr> <count> [<size> [<cpu>]]"; return; }
    isaddr "$1" || { reply "ERR not an address: $(echo "$1" | oneline)"; return; }
    isnum "$2" && [ "$2" -ge 1 ] && [ "$2" -le 1000 ] || { reply "ERR count must be 1..1000"; return; }
    size=${3:-56}
    isnum "$size" && [ "$size" -le 65000 ] || { reply "ERR size must be 0..65000"; return; }
    # On a given CPU, Linux transmits on the queue that CPU maps to (XPS): how a test reaches a second queue pair.
    pin=""
    if [ $# -eq 4 ]; then
        isnum "$4" && [ "$4" -lt "$(nproc)" ] || { reply "ERR cpu must be 0..$(($(nproc) - 1))"; return; }
        pin="taskset -c $4"
    fi
    out=$($pin ping -c "$2" -W 5 -s "$size" "$1" 2>&1)
    sent=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
    got=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
    [ -n "$sent" ] || { reply "ERR ping failed: $(echo "$out" | tail -n 2 | oneline)"; return; }
    reply "OK sent=$sent received=${got:-0}"
}

# NETLISTEN starts a TCP listener in the background that keeps what one connection sends; NETRECEIVED waits for
# that connection to end and hashes it. busybox nc with -e: a listener without it stops at its own stdin's end.
cmd_netlisten() {
    [ $# -eq 1 ] && isport "$1" || { reply "ERR usage: NETLISTEN <port>"; return; }
    rm -f "/tmp/pvkit-net.$1"
    printf '#!/bin/sh\nexec cat >/tmp/pvkit-net.%s\n' "$1" >"/tmp/pvkit-sink.$1"
    chmod +x "/tmp/pvkit-sink.$1"
    nc -l -p "$1" -e "/tmp/pvkit-sink.$1" </dev/null >/dev/null 2>&1 &
    echo $! >"/tmp/pvkit-listen.$1"
    reply "OK"
}

cmd_netreceived() {
    [ $# -eq 2 ] && isport "$1" && isnum "$2" || { reply "ERR usage: NETRECEIVED <port> <seconds>"; return; }
    [ -f "/tmp/pvkit-listen.$1" ] || { reply "ERR no NETLISTEN on port $1"; return; }
    pid=$(cat "/tmp/pvkit-listen.$1")
    n=0
    while kill -0 "$pid" 2>/dev/null; do
        [ "$n" -ge "$(($2 * 10))" ] && { reply "ERR nothing complete within $2 s"; return; }
        sleep 0.1
        n=$((n + 1))
    done
    rm -f "/tmp/pvkit-listen.$1"
    f="/tmp/pvkit-net.$1"
    [ -f "$f" ] || { reply "ERR no connection came"; return; }
    sum=$(sha256sum <"$f")
    reply "OK bytes=$(wc -c <"$f" | tr -d ' ') sha256=${sum%% *}"
    rm -f "$f"
}

cmd_netsend() {
    [ $# -eq 4 ] || { reply "ERR usage: NETSEND <addr> <port> <length> <seed>"; return; }
    isaddr "$1" && isport "$2" && isnum "$3" && isnum "$4" || { reply "ERR usage: NETSEND <addr> <port> <length> <seed>"; return; }
    [ "$4" -le 4294967295 ] || { reply "ERR seed must be a decimal 0..4294967295"; return; }
    # The bytes are made first, then sent from a file: generated on the fly they trickle out one segment at a time,
    # and the driver never gets to hand the device a segmentation (TSO) packet.
    f=/tmp/pvkit-send.$$
    if out=$(set -o pipefail; pattern_bytes "$3" "$4" >"$f" && nc -w 10 "$1" "$2" <"$f" 2>&1); then reply "OK"
    else reply "ERR send failed: $(echo "$out" | oneline)"; fi
    rm -f "$f"
}

cmd_info() {
    [ $# -eq 1 ] || { reply "ERR usage: INFO <dev>"; return; }
    dev=$(devnode "$1") || { reply "ERR no block device $1"; return; }
    name=${dev##*/}
    s="$SYSROOT/sys/block/$name"
    queues=$(ls "$s/mq" 2>/dev/null | wc -l)
    lbs=$(cat "$s/queue/logical_block_size" 2>/dev/null || echo 512)
    ro=$(cat "$s/ro" 2>/dev/null || echo 0)
    dmax=$(cat "$s/queue/discard_max_bytes" 2>/dev/null || echo 0)
    feat=$(cat "$s/device/features" 2>/dev/null || echo -)
    vdev=$(basename "$(readlink -f "$s/device" 2>/dev/null)" 2>/dev/null)
    drv=$(basename "$(readlink "$s/device/driver" 2>/dev/null)" 2>/dev/null)
    serial=$(cat "$s/serial" 2>/dev/null | sed 's/[^!-~]//g')
    reply "OK size=$(devsize "$name") queues=$queues block=$lbs ro=$ro discard=$dmax device=${vdev:--}" \
        "driver=${drv:--} features=$feat serial=${serial:--}"
}

# Reads at most <length> bytes from the start of a file the guest offers, a character device (/dev/hwrng) or a
# sysfs attribute: a driver's output that is no block device. dd's fullblock reads on through short reads, so a
# device gives <length> bytes (or blocks until it has), a short file gives what it holds.
cmd_dump() {
    [ $# -eq 2 ] || { reply "ERR usage: DUMP <path> <length>"; return; }
    case "$1" in /*) ;; *) reply "ERR the path must be absolute"; return ;; esac
    case "$1" in *[!A-Za-z0-9_./:-]* | *..*) reply "ERR bad path $(echo "$1" | oneline)"; return ;; esac
    isnum "$2" && [ "$2" -ge 1 ] && [ "$2" -le 4096 ] || { reply "ERR length must be a decimal 1..4096"; return; }
    p="$SYSROOT$1"
    [ -e "$p" ] || { reply "ERR no file $1"; return; }
    [ -d "$p" ] && { reply "ERR $1 is a directory"; return; }
    if dd if="$p" of=/tmp/pvkit-dump bs="$2" count=1 iflag=fullblock 2>/tmp/pvkit-dump.err; then
        xxd -p -c 32 /tmp/pvkit-dump >/tmp/pvkit-dump.hex
        while IFS= read -r l; do reply "| $l"; done </tmp/pvkit-dump.hex
        reply "OK bytes=$(wc -c </tmp/pvkit-dump | tr -d ' ')"
    else
        reply "ERR read failed: $(oneline </tmp/pvkit-dump.err)"
    fi
}

cmd_poweroff() {
    [ $# -eq 0 ] || { reply "ERR usage: POWEROFF"; return; }
    reply "OK"
    sync
    usleep 300000 # let the result line leave the UART before the machine stops
    poweroff -f
}

# Ends QEMU with a status of the guest's choosing: writes <code> (1..63) to I/O port 0xf4 through /dev/port, where
# the default QEMU command line has an isa-debug-exit device, and QEMU exits with (code << 1) | 1. Without that
# device nothing happens, and the agent powers the machine off after a second (QEMU status 0).
cmd_exit() {
    [ $# -eq 1 ] || { reply "ERR usage: EXIT <code>"; return; }
    isnum "$1" && [ "$1" -ge 1 ] && [ "$1" -le 63 ] || { reply "ERR exit code must be a decimal 1..63"; return; }
    port="$SYSROOT/dev/port"
    [ -c "$port" ] || { [ -n "$SYSROOT" ] && [ -f "$port" ]; } || { reply "ERR no /dev/port"; return; }
    reply "OK"
    sync
    usleep 300000 # let the result line leave the UART before QEMU stops
    # shellcheck disable=SC2059 # the format is the octal escape of the code byte
    printf "\\$(printf %o "$1")" | dd of="$port" bs=1 seek=$((0xf4)) count=1 conv=notrunc 2>/dev/null
    [ -n "$SYSROOT" ] && return # a host test: the "port" is a regular file
    usleep 1000000
    echo "PVKIT-AGENT EXIT $1: no isa-debug-exit device at port 0xf4; powering off" >/dev/console
    poweroff -f
}

# A warm reboot (the machine resets and boots the same kernel again; QEMU must run without -no-reboot). After
# the OK the agent is gone; the next agent prints its banner again on the same channel.
cmd_reboot() {
    [ $# -eq 0 ] || { reply "ERR usage: REBOOT"; return; }
    reply "OK"
    sync
    usleep 300000 # let the result line leave the UART before the machine resets
    reboot -f
}

if [ "${1:--}" != "-" ]; then
    stty -F "$1" raw -echo 2>/dev/null
    exec <"$1" >"$1" 2>/dev/null
fi
reply "PVKIT-AGENT READY $VERSION kernel=$(uname -r)"
while IFS= read -r line; do
    line=${line%"$CR"}
    set -f
    set -- $line
    set +f
    [ $# -eq 0 ] && continue
    cmd=$1
    shift
    case "$cmd" in
    PING) [ $# -eq 0 ] && reply "OK PONG" || reply "ERR usage: PING" ;;
    WRITE) cmd_write "$@" ;;
    READ) cmd_read "$@" ;;
    FLUSH) cmd_flush "$@" ;;
    DISCARD) cmd_discard "$@" ;;
    ZEROES) cmd_zeroes "$@" ;;
    BATCH) cmd_batch "$@" ;;
    REBIND) cmd_rebind "$@" ;;
    DMESG) cmd_dmesg "$@" ;;
    INFO) cmd_info "$@" ;;
    NETUP) cmd_netup "$@" ;;
    NETINFO) cmd_netinfo "$@" ;;
    NETPING) cmd_netping "$@" ;;
    NETLISTEN) cmd_netlisten "$@" ;;
    NETRECEIVED) cmd_netreceived "$@" ;;
    NETSEND) cmd_netsend "$@" ;;
    DUMP) cmd_dump "$@" ;;
    POWEROFF) cmd_poweroff "$@" ;;
    REBOOT) cmd_reboot "$@" ;;
    EXIT) cmd_exit "$@" ;;
    *) reply "ERR unknown command $(echo "$cmd" | oneline)" ;;
    esac
done
