; pvkit-zeroout DEVICE OFFSET LENGTH
;
; Asks the kernel to zero bytes [OFFSET, OFFSET+LENGTH) of block device DEVICE with the BLKZEROOUT ioctl, which a
; virtio-blk driver that negotiated VIRTIO_BLK_F_WRITE_ZEROES turns into WRITE_ZEROES requests (and any other driver
; into writes of zeroes). The guest agent's ZEROES command runs it: busybox has no tool that does this.
;
; Exit status: 0 done; the errno of the failed open or ioctl (22 EINVAL: unaligned range, 5 EIO: the device failed
; it, ...); 255 for a wrong command line (a number that is not 1 to 18 decimal digits, too).
;
; A whole x86-64 Linux ELF executable (its header: elf64-exec.inc) that 'nasm -f bin -i src/main/asm/' writes byte for
; byte the same on every machine (ZerooutHelperTest assembles it again and compares with the committed file).
%include "elf64-exec.inc"

SYS_OPEN   equ 2
SYS_IOCTL  equ 16
O_WRONLY   equ 1
BLKZEROOUT equ 0x127f                           ; _IO(0x12, 127); its argument is u64 range[2] = {start, length}

start:  mov     rbx, rsp                        ; [rsp] argc, [rsp+8] argv[0], [rsp+16] argv[1], ...
        cmp     qword [rbx], 4
        jne     usage
        mov     rsi, [rbx + 24]                 ; OFFSET
        call    decimal
        mov     [range], rax
        mov     rsi, [rbx + 32]                 ; LENGTH
        call    decimal
        mov     [range + 8], rax

        mov     eax, SYS_OPEN
        mov     rdi, [rbx + 16]                 ; DEVICE
        mov     esi, O_WRONLY
        xor     edx, edx
        syscall
        test    rax, rax
        js      failed

        mov     rdi, rax
        mov     eax, SYS_IOCTL
        mov     esi, BLKZEROOUT
        lea     rdx, [rel range]
        syscall
        test    rax, rax
        js      failed
        jmp     done

%include "helper-end.inc"

range:  dq      0, 0
file_size equ $ - $$
mem_size equ file_size                      ; nothing after the file
