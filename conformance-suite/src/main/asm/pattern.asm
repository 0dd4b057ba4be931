; pvkit-pattern LENGTH SEED
;
; Writes LENGTH bytes of the seeded data pattern of the PVKit specification, Appendix B.4, to standard output:
; xorshift32 with shifts 13, 17 and 5, started from SEED (0 starts from 0x6d2b79f5, since xorshift never leaves 0),
; each new state emitted as 4 little-endian bytes, the stream cut at LENGTH. The guest agent's WRITE and NETSEND
; pipe it into dd and nc. Busybox awk made the same bytes, but under TCG it took half a minute for one MiB, which
; left a WRITE of 1 MiB too little of its minute on a slower machine.
;
; Exit status: 0 done; the errno of a failed write (32 EPIPE cannot be seen: SIGPIPE ends the process first); 255
; for a wrong command line (not two decimal numbers, or a seed above 4294967295).
;
; A whole x86-64 Linux ELF executable (its header: elf64-exec.inc) that 'nasm -f bin -i src/main/asm/' writes byte for
; byte the same on every machine (PatternHelperTest assembles it again and compares with the committed file).
%include "elf64-exec.inc"

SYS_WRITE  equ 1
EINTR      equ 4
BUFFER     equ 65536                            ; bytes made per write; a multiple of 4, so every state fits whole
ZERO_SEED  equ 0x6d2b79f5

start:  mov     rbx, rsp                        ; [rsp] argc, [rsp+8] argv[0], [rsp+16] argv[1], ...
        cmp     qword [rbx], 3
        jne     usage
        mov     rsi, [rbx + 16]                 ; LENGTH
        call    decimal
        mov     r12, rax                        ; r12: bytes still to write
        mov     rsi, [rbx + 24]                 ; SEED
        call    decimal
        mov     ecx, eax
        cmp     rax, rcx
        jne     usage                           ; more than 32 bits
        mov     r13d, eax                       ; r13d: the xorshift state
        test    r13d, r13d
        jnz     .next
        mov     r13d, ZERO_SEED

.next:  test    r12, r12
        jz      done
        mov     r14, BUFFER                     ; r14: this round's bytes, min(BUFFER, what is left)
        cmp     r12, r14
        cmovb   r14, r12
        lea     rcx, [r14 + 3]                  ; states this round: the last may be cut
        shr     rcx, 2
        lea     rdi, [rel buffer]
.state: mov     eax, r13d
        shl     eax, 13
        xor     r13d, eax
        mov     eax, r13d
        shr     eax, 17
        xor     r13d, eax
        mov     eax, r13d
        shl     eax, 5
        xor     r13d, eax
        mov     [rdi], r13d                     ; little-endian, as the pattern's bytes are
        add     rdi, 4
        dec     rcx
        jnz     .state

        lea     rsi, [rel buffer]               ; write r14 bytes, however many calls that takes
        mov     r15, r14
.write: mov     eax, SYS_WRITE
        mov     edi, 1
        mov     rdx, r15
        syscall
        cmp     rax, -EINTR
        je      .write
        test    rax, rax
        js      failed
        jz      short_write
        add     rsi, rax
        sub     r15, rax
        jnz     .write
        sub     r12, r14
        jmp     .next

short_write:
        mov     rax, -5                         ; a write that writes nothing: EIO
        jmp     failed

%include "helper-end.inc"

        align   4, db 0
file_size equ $ - $$
buffer  equ     $$ + file_size               ; BUFFER bytes of zero-filled memory after the file
mem_size equ file_size + BUFFER
