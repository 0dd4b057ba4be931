; pvkit-zeroout DEVICE OFFSET LENGTH
;
; Asks the kernel to zero bytes [OFFSET, OFFSET+LENGTH) of block device DEVICE with the BLKZEROOUT ioctl, which a
; virtio-blk driver that negotiated VIRTIO_BLK_F_WRITE_ZEROES turns into WRITE_ZEROES requests (and any other driver
; into writes of zeroes). The guest agent's ZEROES command runs it: busybox has no tool that does this.
;
; Exit status: 0 done; the errno of the failed open or ioctl (22 EINVAL: unaligned range, 5 EIO: the device failed
; it, ...); 255 for a wrong command line.
;
; A whole x86-64 Linux ELF executable (its header: elf64-exec.inc) that 'nasm -f bin -i src/main/asm/' writes byte for
; byte the same on every machine (ZerooutHelperTest assembles it again and compares with the committed file).
%include "elf64-exec.inc"

SYS_OPEN   equ 2
SYS_IOCTL  equ 16
SYS_EXIT   equ 60
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
        xor     edi, edi
        jmp     exit

failed: neg     rax                             ; a system call fails with -errno
        mov     rdi, rax
        jmp     exit
usage:  mov     edi, 255
exit:   mov     eax, SYS_EXIT
        syscall

; rsi: a NUL-terminated string of decimal digits; rax: its value. Anything else (an empty string too) is a usage error.
decimal:
        xor     eax, eax
        cmp     byte [rsi], 0
        je      usage
.digit: movzx   ecx, byte [rsi]
        test    ecx, ecx
        jz      .done
        sub     ecx, '0'
        cmp     ecx, 9
        ja      usage                           ; below '0' wraps round to a large unsigned value
        imul    rax, rax, 10
        add     rax, rcx
        inc     rsi
        jmp     .digit
.done:  ret

range:  dq      0, 0
file_size equ $ - $$
mem_size equ file_size                      ; nothing after the file
