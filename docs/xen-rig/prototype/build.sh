#!/bin/bash
# Builds the Xen-under-QEMU rig from Debian bookworm packages (nothing installed on the host; needs root for
# mknod, chroot and ldconfig -r):
#   out/xen.elf                 Xen 4.17 hypervisor (32-bit multiboot ELF, from boot/xen-4.17-amd64.gz)
#   out/vmlinuz                 Debian linux-image-amd64 kernel (bzImage; the dom0 kernel)
#   out/vmlinux                 the same kernel as a plain ELF (its xz payload), for the domU
#   out/dom0-initrd.cpio.gz     busybox + Xen userspace + glibc/libstdc++ + dom0 modules + files/dom0-init.sh
#   out/domu-initrd.cpio.gz     busybox + xen-blkfront/xen-netfront + files/domu-init.sh
#   out/java/XenProbe*.class    files/XenProbe.java compiled against the project's JNA
#   out/MANIFEST                package versions, module load orders
# Idempotent: .debs are cached in debs/ (one apt-cache call; apt-get download only for missing files),
# extracted trees are reused while the .deb file name is unchanged.
set -euo pipefail
RIG=$(cd "$(dirname "$0")" && pwd)
DEBS=$RIG/debs; STAGE=$RIG/staging; OUT=$RIG/out; FILES=$RIG/files
mkdir -p "$DEBS" "$STAGE/pkgs" "$OUT"
log() { printf '[build %s] %s\n' "$(date +%T)" "$*"; }
T0=$(date +%s)

JNA_VERSION=$(sed -n 's:.*<jna.version>\(.*\)</jna.version>.*:\1:p' /work/main/pom.xml 2>/dev/null | head -1)
JNA_VERSION=${JNA_VERSION:-5.19.1}
JNA_JAR=$HOME/.m2/repository/net/java/dev/jna/jna/$JNA_VERSION/jna-$JNA_VERSION.jar

# ---- packages ---------------------------------------------------------------------------------------
XEN_PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils
  libxenstore4 libxengnttab1 libxenevtchn1 libxentoolcore1 libxentoollog1 libxencall1 libxenforeignmemory1
  libxendevicemodel1 libxenhypfs1 libxenmisc4.17 libyajl2 libext2fs2"
# Shared-library dependencies of the Xen tools and of the host JVM (libjvm needs libstdc++ and libgcc_s;
# xl dlopens libgcc_s.so.1 for pthread_cancel; java/libzip need libz).
SYS_PKGS="libc6 libgcc-s1 libstdc++6 zlib1g libtinfo6 libncurses6 liblzma5 libuuid1 libzstd1"
OTHER_PKGS="busybox-static"

UPDATED=0
kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -1; }
KPKG=$(kernel_pkg)
if [ -z "$KPKG" ]; then apt-get update; UPDATED=1; KPKG=$(kernel_pkg); fi
[ -n "$KPKG" ] || { echo "apt knows no linux-image-amd64" >&2; exit 1; }
KVER=${KPKG#linux-image-}
ALL_PKGS="$KPKG $OTHER_PKGS $XEN_PKGS $SYS_PKGS"

# name version arch for every package, in one apt-cache call
candidates() { apt-cache show --no-all-versions $ALL_PKGS 2>/dev/null | awk '
  /^Package: /{p=$2} /^Version: /{v=$2} /^Architecture: /{a=$2} /^$/{ if (p!="") print p, v, a; p="" } END{ if (p!="") print p, v, a }'; }
CANDS=$(candidates)
for p in $ALL_PKGS; do
  if ! grep -q "^$p " <<<"$CANDS"; then
    [ $UPDATED = 1 ] || { apt-get update; UPDATED=1; CANDS=$(candidates); }
    grep -q "^$p " <<<"$CANDS" || { echo "apt has no candidate for $p" >&2; exit 1; }
  fi
done
declare -A DEB
MISSING=()
while read -r p v a; do
  f="$DEBS/${p}_${v//:/%3a}_${a}.deb"; DEB[$p]=$f
  [ -s "$f" ] || MISSING+=("$p=$v")
done <<<"$CANDS"
if [ ${#MISSING[@]} -gt 0 ]; then
  log "apt-get download ${MISSING[*]}"
  (cd "$DEBS" && apt-get -q -o APT::Sandbox::User=root download "${MISSING[@]}")
fi
for p in $ALL_PKGS; do [ -s "${DEB[$p]}" ] || { echo "missing ${DEB[$p]}" >&2; exit 1; }; done
log "packages ready ($(wc -w <<<"$ALL_PKGS") debs, kernel $KVER)"

# ---- extract ----------------------------------------------------------------------------------------
extract() { # pkg -> staging/pkgs/<pkg>, reused while the .deb name is the same
  local d=$STAGE/pkgs/$1 f=${DEB[$1]}
  if [ "$(cat "$d.stamp" 2>/dev/null)" != "$(basename "$f")" ]; then
    rm -rf "$d" "$d.stamp"; mkdir -p "$d"; dpkg-deb -x "$f" "$d"; basename "$f" > "$d.stamp"
  fi
}
for p in $ALL_PKGS; do extract "$p"; done
KTREE=$STAGE/pkgs/$KPKG
MODDIR=$KTREE/lib/modules/$KVER
BUSYBOX=$STAGE/pkgs/busybox-static/bin/busybox
log "extracted"

# ---- xen.elf, vmlinuz -------------------------------------------------------------------------------
zcat "$STAGE/pkgs/xen-hypervisor-4.17-amd64/boot/xen-4.17-amd64.gz" > "$OUT/xen.elf.tmp" && mv "$OUT/xen.elf.tmp" "$OUT/xen.elf"
cp "$KTREE/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
# The domU gets the ELF vmlinux inside the bzImage (xz payload): given the bzImage, libxenguest decompresses
# it in dom0 userspace under TCG on every xl create (measured: xl create 14.2 s with vmlinuz, 2.35 s with vmlinux).
XZOFF=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$OUT/vmlinuz" | head -1 | cut -d: -f1)
tail -c +$((XZOFF + 1)) "$OUT/vmlinuz" > "$STAGE/vmlinux.xz"   # (not a pipe: xz stops early, tail would get SIGPIPE)
xz -dc --single-stream "$STAGE/vmlinux.xz" > "$OUT/vmlinux.tmp"; rm -f "$STAGE/vmlinux.xz"
[ "$(head -c 4 "$OUT/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ] || { echo "no ELF vmlinux in the bzImage" >&2; exit 1; }
mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"

# ---- kernel modules in load order (deps from each module's .modinfo "depends=", like KernelModules.java) ----
modfile() { find "$MODDIR" -name "$1.ko" -o -name "$1.ko.xz" | head -1; }
builtin() { grep -qE "/($1|${1//_/-})\.ko" "$MODDIR/modules.builtin"; }
ORDER=()
declare -A SEEN
visit() { # name (dashes or underscores)
  local n=${1//-/_} f dep
  [ -n "${SEEN[$n]:-}" ] && return 0
  SEEN[$n]=1
  builtin "$n" && return 0
  f=$(modfile "$n"); [ -n "$f" ] || f=$(modfile "${n//_/-}")
  [ -n "$f" ] || { echo "module $n neither in $MODDIR nor built in" >&2; exit 1; }
  local bytes; if [[ $f == *.xz ]]; then bytes=$(xz -dc "$f" | tr '\0' '\n' | grep -a '^depends=' | head -1); else bytes=$(tr '\0' '\n' < "$f" | grep -a '^depends=' | head -1); fi
  for dep in $(tr ',' ' ' <<<"${bytes#depends=}"); do visit "$dep"; done
  ORDER+=("$n:$f")
}
install_modules() { # root, module names...
  local root=$1; shift; ORDER=(); SEEN=()
  for m in "$@"; do visit "$m"; done
  mkdir -p "$root/lib/modules/rig" "$root/etc/rig"; : > "$root/etc/rig/modules"
  for e in "${ORDER[@]}"; do
    local n=${e%%:*} f=${e#*:}
    if [[ $f == *.xz ]]; then xz -dc "$f" > "$root/lib/modules/rig/$n.ko"; else cp "$f" "$root/lib/modules/rig/$n.ko"; fi
    echo "$n" >> "$root/etc/rig/modules"
  done
}
DOM0_MODULES="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs 9p 9pnet_virtio virtio_pci xen-blkback xen-netback loop bridge"
DOMU_MODULES="xen-blkfront xen-netfront"

base_root() { # root: busybox, /dev nodes, dirs
  local r=$1
  mkdir -p "$r"/{bin,sbin,dev,etc,proc,sys,tmp,run,root,lib,usr/bin,usr/sbin,var/lib,var/log}
  cp "$BUSYBOX" "$r/bin/busybox"; ln -sfn busybox "$r/bin/sh"
  # The kernel opens /dev/console for init before devtmpfs is mounted.
  mknod -m 600 "$r/dev/console" c 5 1; mknod -m 666 "$r/dev/null" c 1 3
  echo 'root:x:0:0:root:/root:/bin/sh' > "$r/etc/passwd"; echo 'root:x:0:' > "$r/etc/group"
}
mkcpio() { # root out
  (cd "$1" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null) | gzip -6 > "$2.tmp" && mv "$2.tmp" "$2"
}

# ---- dom0 root --------------------------------------------------------------------------------------
R=$STAGE/dom0root; rm -rf "$R"; base_root "$R"
for p in $XEN_PKGS $SYS_PKGS; do
  [ "$p" = xen-hypervisor-4.17-amd64 ] && continue
  cp -a "$STAGE/pkgs/$p/." "$R/"
done
rm -rf "$R/usr/share" "$R/usr/lib/x86_64-linux-gnu/gconv" "$R/etc/init.d" "$R/etc/default" "$R/usr/lib/xen-4.17/lib/python" "$R/usr/lib/xen-4.17/boot"
ln -sfn /run "$R/var/run"; ln -sfn /run/lock "$R/var/lock"
install -m 755 "$FILES/rig-block" "$FILES/rig-vif" "$R/etc/xen/scripts/"
install -m 755 "$FILES/dom0-init.sh" "$R/init"
install_modules "$R" $DOM0_MODULES
DOM0_ORDER=$(tr '\n' ' ' < "$R/etc/rig/modules")
# ld.so.cache for the root (Debian's glibc also searches the multiarch dirs without it; the cache makes it explicit).
printf '%s\n' /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /usr/lib/xen-4.17/lib/x86_64-linux-gnu > "$R/etc/ld.so.conf"
ldconfig -r "$R"
# Every ELF in the root must find its NEEDED libraries inside the root.
for f in $(find "$R/usr/lib/xen-4.17/bin" "$R/usr/bin" "$R/usr/lib/x86_64-linux-gnu" -type f); do
  [ "$(head -c 4 "$f" | od -An -c | tr -d " ")" = 177ELF ] || continue
  for n in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$R/lib/x86_64-linux-gnu/$n" ] || [ -e "$R/usr/lib/x86_64-linux-gnu/$n" ] \
      || [ -e "$R/usr/lib/xen-4.17/lib/x86_64-linux-gnu/$n" ] || echo "WARN ${f#$R} needs $n, absent from the dom0 root"
  done
done | sort -u
# Smoke test on the host: the dom0 root's own loader and libraries run xl and xenstore-read.
{ chroot "$R" /usr/lib/xen-4.17/bin/xl help 2>&1 || true; } | head -1 | sed 's/^/[chroot xl help, expected to fail on a non-Xen host] /'
{ chroot "$R" /usr/bin/xenstore-read / 2>&1 || true; } | head -1 | sed 's/^/[chroot xenstore-read] /'
mkcpio "$R" "$OUT/dom0-initrd.cpio.gz"

# ---- domU root --------------------------------------------------------------------------------------
U=$STAGE/domuroot; rm -rf "$U"; base_root "$U"
install -m 755 "$FILES/domu-init.sh" "$U/init"
install_modules "$U" $DOMU_MODULES
DOMU_ORDER=$(tr '\n' ' ' < "$U/etc/rig/modules")
mkcpio "$U" "$OUT/domu-initrd.cpio.gz"

# ---- Java probe ---------------------------------------------------------------------------------------
[ -s "$JNA_JAR" ] || { echo "no JNA jar at $JNA_JAR" >&2; exit 1; }
JAVAC=$(readlink -f "$(command -v javac)")
rm -rf "$OUT/java"; mkdir -p "$OUT/java"
"$JAVAC" --release 17 -cp "$JNA_JAR" -d "$OUT/java" "$FILES/XenProbe.java"

# ---- manifest -----------------------------------------------------------------------------------------
{
  echo "# built $(date -u +%FT%TZ)"
  echo "kernel $KVER"
  echo "jna $JNA_JAR"
  echo "dom0-modules $DOM0_ORDER"
  echo "domu-modules $DOMU_ORDER"
  while read -r p v a; do echo "deb $p $v $a"; done <<<"$CANDS"
  ls -l "$OUT"/xen.elf "$OUT"/vmlinuz "$OUT"/vmlinux "$OUT"/*.cpio.gz | awk '{print "file", $NF, $5}'
} > "$OUT/MANIFEST"
cat "$OUT/MANIFEST"
log "done in $(( $(date +%s) - T0 )) s"
