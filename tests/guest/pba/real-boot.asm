; SPDX-License-Identifier: GPL-2.0-or-later
; The "real disk"'s boot sector for the pre-boot authentication example (build-pba.sh):
; what the firmware finds at LBA 0 once the pre-boot image has unlocked the drive and set
; MBR Done. It says so on COM1, reads LBA 1 (which lies in the drive's locked range, so the
; read succeeds only if the range was unlocked) and prints the text stored there, then
; powers the machine off through ACPI (q35: PM1a_CNT at 0x604, SLP_TYP 0 = S5) so that
; QEMU exits. Assemble: nasm -f bin -o real-boot.bin real-boot.asm
bits 16
org 0x7c00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov [drive], dl             ; the BIOS boot drive
    mov si, booted
    call print
    mov si, dap                 ; INT 13h AH=42h: extended read of LBA 1 to 0x0000:0x8000
    mov dl, [drive]
    mov ah, 0x42
    int 0x13
    jc .fail
    mov byte [0x8000 + 511], 0  ; the sector holds text; stop at its end in any case
    mov si, data
    call print
    mov si, 0x8000
    call print
    mov si, crlf
    call print
    jmp .off
.fail:
    mov si, readerr
    call print
.off:
    mov dx, 0x604               ; q35 (ICH9) ACPI PM1a_CNT: SLP_EN | SLP_TYP(S5) = 0
    mov ax, 0x2000
    out dx, ax
    mov dx, 0xb004              ; pc (PIIX4) ACPI PM1a_CNT, in case
    out dx, ax
.halt:
    hlt
    jmp .halt

; Prints the NUL-terminated string at DS:SI on COM1.
print:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, 0x3fd               ; line status: wait for the transmit holding register
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, 0x3f8
    out dx, al
    jmp print
.done:
    ret

booted:  db 13, 10, "Booted the real disk", 13, 10, 0
data:    db "LBA 1 of the real disk: ", 0
readerr: db "LBA 1 of the real disk: read error (still locked?)", 13, 10, 0
crlf:    db 13, 10, 0
drive:   db 0
dap:     db 16, 0                ; disk address packet: size, reserved
         dw 1                    ; sectors
         dw 0x8000, 0            ; buffer offset, segment
         dq 1                    ; LBA

times 510 - ($ - $$) db 0
dw 0xaa55
