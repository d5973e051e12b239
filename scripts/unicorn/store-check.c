/* Checks a libunicorn.so.2 (2.1.x) for the store path of store-path.patch, on a Cortex-M3 with MemGate's
   hook set (UC_HOOK_BLOCK, UC_HOOK_INTR, UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT over all addresses) and
   RAM from uc_mem_map_ptr:
   1. self-modifying code is still seen: code written to SRAM, run, rewritten (after data stores to the
      same page, and by a halfword store) and run again returns the new values;
   2. the time of 20,000 passes of word stores over 4 KiB of SRAM (~20 M blocks, ~100 M instructions).
   Build and run (the headers are in Unicorn's source, include/):
     cc -O2 -I<unicorn>/include scripts/unicorn/store-check.c -o /tmp/store-check -ldl
     /tmp/store-check "$(scripts/build-engine.sh)"
   Exit code 0 when the code checks pass; 1 otherwise. */
#include <unicorn/unicorn.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* Thumb-2: r1 = 0x20000100; writes "movs r0,#1; bx lr" there and calls it (r5), rewrites #2 (r6), 100
   stores to 0x20000140 and calls again (r8), rewrites #3 (r7), rewrites #4 with strh (r9); then b . */
static const uint8_t smc_code[] = {
    0x0d, 0x49, 0x41, 0xf0, 0x01, 0x03, 0x0d, 0x4a, 0x0a, 0x60, 0x98, 0x47, 0x05, 0x46, 0x0c, 0x4a,
    0x0a, 0x60, 0x98, 0x47, 0x06, 0x46, 0x4f, 0xf0, 0x64, 0x04, 0x0c, 0x64, 0x01, 0x3c, 0xfc, 0xd1,
    0x98, 0x47, 0x80, 0x46, 0x07, 0x4a, 0x0a, 0x60, 0x98, 0x47, 0x07, 0x46, 0x06, 0x4a, 0x0a, 0x80,
    0x98, 0x47, 0x81, 0x46, 0xfe, 0xe7, 0x00, 0x00, 0x00, 0x01, 0x00, 0x20, 0x01, 0x20, 0x70, 0x47,
    0x02, 0x20, 0x70, 0x47, 0x03, 0x20, 0x70, 0x47, 0x04, 0x20, 0x70, 0x47};
#define SMC_END 0x08000034u
/* r4 = 20000; { r1 = 0x20000000; r2 = r1 + 4096; do str r3,[r1],#4 while r1 != r2 } while --r4; b . */
static const uint8_t store_code[] = {
    0x44, 0xf6, 0x20, 0x64, 0x4f, 0xf0, 0x00, 0x51, 0x01, 0xf5, 0x80, 0x52, 0x41, 0xf8, 0x04, 0x3b,
    0x91, 0x42, 0xfb, 0xd1, 0x01, 0x3c, 0xf5, 0xd1, 0xfe, 0xe7};
#define STORE_END 0x08000018u

static struct {
    uc_err (*open)(uc_arch, uc_mode, uc_engine **);
    uc_err (*ctl)(uc_engine *, uc_control_type, ...);
    uc_err (*map_ptr)(uc_engine *, uint64_t, size_t, uint32_t, void *);
    uc_err (*hook_add)(uc_engine *, uc_hook *, int, void *, void *, uint64_t, uint64_t, ...);
    uc_err (*start)(uc_engine *, uint64_t, uint64_t, uint64_t, size_t);
    uc_err (*reg_read)(uc_engine *, int, void *);
    uc_err (*close)(uc_engine *);
    const char *(*strerror)(uc_err);
} uc;

static uint64_t blocks;
static void on_block(uc_engine *e, uint64_t a, uint32_t s, void *u) { (void)e; (void)a; (void)s; (void)u; blocks++; }
static void on_intr(uc_engine *e, uint32_t n, void *u) { (void)e; (void)n; (void)u; }
static bool on_invalid(uc_engine *e, uc_mem_type t, uint64_t a, int s, int64_t v, void *u)
{
    (void)e; (void)t; (void)a; (void)s; (void)v; (void)u;
    return false;
}

static uc_engine *machine(const uint8_t *code, size_t size)
{
    uc_engine *e;
    uc_hook h;
    uint8_t *flash = mmap(0, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint8_t *sram = mmap(0, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(flash, code, size);
    uc.open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &e);
    uc.ctl(e, UC_CTL_WRITE(UC_CTL_CPU_MODEL, 1), UC_CPU_ARM_CORTEX_M3);
    uc.map_ptr(e, 0x08000000, 0x10000, UC_PROT_READ | UC_PROT_EXEC, flash);
    uc.map_ptr(e, 0x20000000, 0x10000, UC_PROT_ALL, sram);
    uc.hook_add(e, &h, UC_HOOK_BLOCK, (void *)on_block, NULL, 1, 0);
    uc.hook_add(e, &h, UC_HOOK_INTR, (void *)on_intr, NULL, 1, 0);
    uc.hook_add(e, &h, UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT, (void *)on_invalid, NULL, 1, 0);
    return e;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "libunicorn.so.2";
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "store-check: %s\n", dlerror());
        return 2;
    }
    *(void **)&uc.open = dlsym(lib, "uc_open");
    *(void **)&uc.ctl = dlsym(lib, "uc_ctl");
    *(void **)&uc.map_ptr = dlsym(lib, "uc_mem_map_ptr");
    *(void **)&uc.hook_add = dlsym(lib, "uc_hook_add");
    *(void **)&uc.start = dlsym(lib, "uc_emu_start");
    *(void **)&uc.reg_read = dlsym(lib, "uc_reg_read");
    *(void **)&uc.close = dlsym(lib, "uc_close");
    *(void **)&uc.strerror = dlsym(lib, "uc_strerror");

    uc_engine *e = machine(smc_code, sizeof smc_code);
    uc_err err = uc.start(e, 0x08000001, SMC_END, 0, 0);
    int ids[5] = {UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R8, UC_ARM_REG_R7, UC_ARM_REG_R9};
    uint32_t got[5] = {0}, want[5] = {1, 2, 2, 3, 4};
    for (int i = 0; i < 5; i++) {
        uc.reg_read(e, ids[i], &got[i]);
    }
    int ok = err == UC_ERR_OK && memcmp(got, want, sizeof got) == 0;
    printf("self-modifying code: %s (%s; got %u %u %u %u %u, want 1 2 2 3 4)\n", ok ? "PASS" : "FAIL",
           uc.strerror(err), got[0], got[1], got[2], got[3], got[4]);
    uc.close(e);

    e = machine(store_code, sizeof store_code);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    err = uc.start(e, 0x08000001, STORE_END, 0, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    uint32_t passes_left = 1;
    uc.reg_read(e, UC_ARM_REG_R4, &passes_left);
    printf("stores: 20,000 x 4 KiB in %.3f s (%s, %llu blocks%s)\n",
           (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9, uc.strerror(err),
           (unsigned long long)blocks, passes_left == 0 ? "" : ", NOT FINISHED");
    uc.close(e);
    return ok && err == UC_ERR_OK && passes_left == 0 ? 0 : 1;
}
