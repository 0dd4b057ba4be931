package dev.pvkit.conformance.guest;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What the live Xen rig boots: Xen's hypervisor as a multiboot ELF, Debian's kernel twice (the bzImage for the PV
 * dom0, the ELF inside it for the PV domU, which libxenguest would otherwise decompress under TCG on every domain
 * start) and the two initramfs images.
 *
 * @param xen           the hypervisor, QEMU's {@code -kernel}
 * @param dom0Kernel    the dom0 kernel (bzImage), multiboot module 1
 * @param domUKernel    the domU kernel (plain ELF vmlinux), loaded by {@code xl create} in dom0
 * @param dom0Initrd    busybox, Xen's tools and libraries, glibc, the dom0 modules and the rig's /init
 * @param domUInitrd    busybox, xen-blkfront and xen-netfront and the domU's workload as /init
 * @param kernelVersion the kernel release, e.g. 6.1.0-28-amd64
 * @param xenPackage    the hypervisor package's file name, for reports
 */
public record XenRigImage(Path xen, Path dom0Kernel, Path domUKernel, Path dom0Initrd, Path domUInitrd,
                          String kernelVersion, String xenPackage) {
    public XenRigImage {
        Objects.requireNonNull(xen);
        Objects.requireNonNull(dom0Kernel);
        Objects.requireNonNull(domUKernel);
        Objects.requireNonNull(dom0Initrd);
        Objects.requireNonNull(domUInitrd);
    }
}
