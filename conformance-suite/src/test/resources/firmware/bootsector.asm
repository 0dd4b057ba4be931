; PVKit int 13h probe boot sector (SeaBiosInt13Test, issue #5).
;
; SeaBIOS loads this sector from the PVKit vhost-user-blk disk to 0000:7C00 and jumps to it with the boot
; drive in DL. It reads SECTORS sectors starting at LBA FIRST_LBA into 0000:8000 through BIOS int 13h (that
; is, through SeaBIOS's own virtio-blk driver): AH=42h extended read with a disk address packet when AH=41h
; reports the extensions (and force_chs is 0), otherwise AH=08h for the geometry and one AH=02h CHS read per
; sector. It then prints on COM1, polling the 16550 directly (THR 0x3F8, LSR 0x3FD bit 5):
;
;   PVKIT-INT13 drive=80 via=42h               (or via=02h)
;   PVKIT-INT13 sum=XXXXXXXX sectors=16        (the checksum, 8 upper-case hex digits)
; or
;   PVKIT-INT13 error=XX                       (XX = the int 13h status in AH)
;
; and leaves QEMU through isa-debug-exit (iobase 0xF4): value 0x10 after the checksum (QEMU exit status 33),
; 0x11 after an error (exit status 35); without that device it halts forever. Built with -DPVKIT_RESULT it
; reports in PVKit's guest-result convention instead: 0 after the checksum (its own check passed), 0x11 after an
; error (failed), so a certification's generated tries can count on it (bootsector-result.bin).
;
; Checksum: FNV-1a, 32 bits, over the SECTORS*512 bytes in disk order:
;   h = 0x811C9DC5; for each byte b: h = (h XOR b) * 0x01000193 mod 2^32
;
; Build: nasm -f bin -o bootsector.bin bootsector.asm   (the test holds the bytes; it does not need nasm)
;        nasm -f bin -DPVKIT_RESULT -o bootsector-result.bin bootsector.asm

bits 16
org 0x7c00

%define SECTORS 16          ; sectors read, at most 127 (the checksum loop counts bytes in CX; the buffer stays below 0x9FC00)
%defstr SECTORS_STR SECTORS
FIRST_LBA equ 1
BUF_SEG   equ 0x0800        ; buffer at linear 0x8000
COM1      equ 0x3f8
EXIT_PORT equ 0xf4

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    cld                         ; CS is irrelevant: data goes through DS, jumps are relative
    mov [drive], dl
    ; SeaBIOS's serial console (sercon) flushes the rest of its "Booting from Hard Disk..." line from the timer
    ; interrupt, and would interleave it with ours: let it drain for 3 timer ticks (~165 ms) first.
    mov ax, [0x46c]             ; BDA tick count
    add ax, 3
.drain:
    hlt
    cmp [0x46c], ax             ; until ticks - target >= 0
    js .drain
    call uart_init

    mov si, msg_drive
    call putp
    movzx eax, byte [drive]
    mov cx, 2
    call puthex

    cmp byte [force_chs], 0
    jne chs
    mov ah, 0x41                ; extensions present?
    mov bx, 0x55aa
    mov dl, [drive]
    int 0x13
    jc chs
    cmp bx, 0xaa55
    jne chs
    test cl, 1                  ; fixed disk access subset (AH=42h)
    jz chs

    mov si, msg_ext
    call puts
    mov si, dap                 ; DS:SI = disk address packet
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    jc error
    jmp checksum

chs:
    mov si, msg_chs
    call puts
    mov ah, 0x08                ; geometry
    mov dl, [drive]
    int 0x13
    jc error
    and cx, 0x3f                ; sectors per track
    mov [spt], cx
    movzx ax, dh                ; last head
    inc ax
    mov [heads], ax
    mov word [lba], FIRST_LBA
    mov word [dest], BUF_SEG
.next:
    mov ax, [lba]
    xor dx, dx
    div word [spt]              ; ax = lba / spt, dx = lba % spt
    mov cl, dl
    inc cl                      ; sector, 1-based
    xor dx, dx
    div word [heads]            ; ax = cylinder, dx = head
    mov dh, dl
    mov ch, al
    shl ah, 6
    or cl, ah                   ; cylinder bits 8-9 in CL bits 6-7
    mov dl, [drive]
    mov es, [dest]
    xor bx, bx
    mov ax, 0x0201              ; read one sector to ES:BX
    int 0x13
    jc error
    add word [dest], 512 / 16
    inc word [lba]
    cmp word [lba], FIRST_LBA + SECTORS
    jb .next

checksum:
    push ds
    mov ax, BUF_SEG
    mov ds, ax
    xor si, si
    mov cx, SECTORS * 512
    mov eax, 0x811c9dc5
.byte:
    xor al, [si]
    imul eax, eax, 0x01000193
    inc si
    loop .byte
    pop ds

    push eax
    mov si, msg_sum
    call putp
    pop eax
    mov cx, 8
    call puthex
    mov si, msg_sectors
    call puts
%ifdef PVKIT_RESULT
    mov al, 0
%else
    mov al, 0x10
%endif
    jmp exit

error:
    mov [status], ah
    mov si, msg_error
    call putp
    movzx eax, byte [status]
    mov cx, 2
    call puthex
    mov si, msg_crlf
    call puts
    mov al, 0x11

exit:
    out EXIT_PORT, al
.halt:
    cli
    hlt
    jmp .halt

; ---- COM1 ----------------------------------------------------------------------------------------------

uart_init:                      ; 115200 8N1, FIFO on, no UART interrupts
    mov si, uart_regs
.reg:
    lodsw                       ; AL = register offset, AH = value
    cmp al, 0xff
    je .done
    mov dx, COM1
    add dl, al
    mov al, ah
    out dx, al
    jmp .reg
.done:
    ret

putc:                           ; AL
    push dx
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20               ; THR empty
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    pop dx
    ret

putp:                           ; "PVKIT-INT13 " then DS:SI
    push si
    mov si, msg_prefix
    call puts
    pop si
puts:                           ; DS:SI, NUL-terminated
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

puthex:                         ; the low CX hex digits of EAX, most significant first
    push cx
    mov bx, cx
    shl bx, 2
    mov cl, 32
    sub cl, bl
    shl eax, cl                 ; the first digit to print in bits 28-31 (cl = 0 for 8 digits)
    pop cx
.digit:
    rol eax, 4
    push eax
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'A' - '9' - 1
.out:
    call putc
    pop eax
    loop .digit
    ret

; ---- data ----------------------------------------------------------------------------------------------

uart_regs:   db 1, 0x00, 3, 0x80, 0, 0x01, 1, 0x00, 3, 0x03, 2, 0xc7, 0xff, 0
msg_prefix:  db "PVKIT-INT13 ", 0
msg_drive:   db "drive=", 0
msg_ext:     db " via=42h", 13, 10, 0
msg_chs:     db " via=02h", 13, 10, 0
msg_sum:     db "sum=", 0
msg_error:   db "error=", 0
msg_sectors: db " sectors=", SECTORS_STR   ; runs on into msg_crlf
msg_crlf:    db 13, 10, 0

align 4
dap:         db 16, 0           ; packet size, reserved
             dw SECTORS         ; sectors
             dw 0, BUF_SEG      ; buffer offset, segment
             dq FIRST_LBA       ; first LBA

drive:  db 0
status: db 0
spt:    dw 0
heads:  dw 0
lba:    dw 0
dest:   dw 0

    times 0x1fd - ($ - $$) db 0 ; fails to assemble if the code grows past 0x1FD
force_chs:  db 0                ; offset 0x1FD: the test sets it to 1 to take the AH=02h path
    dw 0xaa55
