/* What the Cortex-M differential programs print numbers with: 0x and the hex digits, no leading zeros.
   Header-only (static), so each program stays one translation unit; include after board.h. */
#ifndef HEX_H
#define HEX_H
#include "../../../examples/firmware/stm32f103/board.h"

static void hex(uint32_t v)
{
    print("0x");
    int started = 0;
    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned digit = (v >> shift) & 0xFu;
        if (digit || started || shift == 0) {
            put("0123456789abcdef"[digit]);
            started = 1;
        }
    }
}
#endif
