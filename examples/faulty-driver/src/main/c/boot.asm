; Entry point of the faulty-driver kernel: a Multiboot (version 1) header, so that QEMU's "-kernel" loader takes
; the 32-bit ELF, a stack, and a call into C. QEMU's loader leaves the CPU in 32-bit protected mode with flat 4 GiB
; code and data segments and paging off (Multiboot 0.6.96, section 3.2), which is all the C code needs: guest
; physical addresses are its pointers, and the rings it hands the device are found at the same numbers.

MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ 0                       ; no modules to align, no memory map wanted, ELF headers give the layout
MB_CHECKSUM equ -(MB_MAGIC + MB_FLAGS)

section .multiboot
align 4
    dd MB_MAGIC
    dd MB_FLAGS
    dd MB_CHECKSUM

section .bss
align 16
stack_bottom:
    resb 16384
stack_top:

section .text
global _start
extern kmain
_start:
    cli                                 ; the driver polls; no interrupt is ever wanted
    mov esp, stack_top
    call kmain                          ; ends QEMU through the exit device; returns only if that device is missing
.halt:
    hlt
    jmp .halt

section .note.GNU-stack noalloc noexec nowrite progbits
