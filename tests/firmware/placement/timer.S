# On rv-board.toml: prints "rv" on CONSOLE, arms the CLINT at 0x02100000 100 ticks ahead, waits for the
# machine timer interrupt (the handler prints "T"), then fails through FINISH with code 7 (0x3333 | 7 << 16).
    .equ CONSOLE, 0x10010100
    .equ MTIMECMP, 0x02104000
    .equ MTIME, 0x0210BFF8
    .equ FINISH, 0x00200000
    .section .text
    .globl _start
_start:
    li   sp, 0x80010000
    li   t0, CONSOLE
    li   t1, 'r'
    sb   t1, 0(t0)
    li   t1, 'v'
    sb   t1, 0(t0)
    la   t1, handler
    csrw mtvec, t1
    li   t2, MTIME
    lw   t3, 0(t2)
    addi t3, t3, 100
    li   t2, MTIMECMP
    sw   t3, 0(t2)
    sw   zero, 4(t2)
    li   t1, 0x80
    csrw mie, t1            # MTIE
    csrsi mstatus, 8        # MIE
1:  wfi
    j    1b
    .align 4
handler:
    li   t0, CONSOLE
    li   t1, 'T'
    sb   t1, 0(t0)
    li   t1, '\n'
    sb   t1, 0(t0)
    li   t0, FINISH
    li   t1, 0x73333         # fail, code 7
    sw   t1, 0(t0)
2:  j    2b
