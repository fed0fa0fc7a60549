/*
 * A stand-in for the NVIDIA driver (libcuda.so.1) with no GPU behind it, for measuring what the
 * CUDA backend costs the host: every call succeeds at once, kernels do nothing, device memory is
 * fake addresses that are never touched, copies and fills do nothing (so results are garbage).
 * An event keeps the host time at which it was recorded, so `--profile` shows the host's timeline.
 * Built by scripts/host-overhead.sh, scripts/launch-trace.sh and CudaStubDriverTest; never shipped,
 * never on a real GPU machine.
 * It answers as one compute capability 9.0 device with 132 SMs, the H100/H200 the defaults target.
 * Its memory is 80 GiB, or LIVETALK_STUB_DEVICE_MIB MiB: allocations beyond that fail with
 * CUDA_ERROR_OUT_OF_MEMORY, as a full device's would (the live bytes are counted, frees included).
 * A launch fails with CUDA_ERROR_INVALID_VALUE, as the driver's does, where it asks for more dynamic
 * shared memory than its kernel was allowed (48 KiB unless cuFuncSetAttribute raised it), for
 * more threads a block than 1024 or its __launch_bounds__ (the PTX's .maxntid), or for a grid beyond
 * 2^31 - 1 × 65535 × 65535 blocks; a kernel its module does not declare is not found; and a
 * tensor map that breaks the driver's rules is refused: what a launch written without a GPU most
 * easily gets wrong.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int CUresult;
#define OK 0
#define SMEM_OPTIN 232448   /* shared memory a block may opt in to, as an H100/H200 reports it */

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static uintptr_t next_address = (uintptr_t)1 << 40;   /* fake device addresses, 256-byte aligned */
static void* handle(void) { return malloc(16); }

/* The device's memory: its size, and the live allocations (address -> bytes, open addressing),
   under one lock: the backend allocates and frees from several threads (the decoder's, the tests'). */
static pthread_mutex_t memory_lock = PTHREAD_MUTEX_INITIALIZER;
#define SLOTS (1u << 20)
static uint64_t slot_addr[SLOTS], slot_bytes[SLOTS];
static size_t live_bytes;
static size_t device_bytes(void) {
    static size_t total;
    if (!total) {
        const char* mib = getenv("LIVETALK_STUB_DEVICE_MIB");
        total = mib && atol(mib) > 0 ? (size_t)atol(mib) << 20 : (size_t)80 << 30;
    }
    return total;
}
static unsigned slot_of(uint64_t p) { return (unsigned)((p >> 8) * 2654435761u) & (SLOTS - 1); }

CUresult cuInit(unsigned flags) { (void)flags; return OK; }
CUresult cuDriverGetVersion(int* v) { *v = 13000; return OK; }
CUresult cuDeviceGetCount(int* n) { *n = 1; return OK; }
CUresult cuDeviceGet(int* d, int ordinal) { (void)ordinal; *d = 0; return OK; }
CUresult cuDeviceGetName(char* name, int len, int dev) {
    (void)dev;
    strncpy(name, "stub device (no GPU: host cost only)", (size_t)len);
    name[len - 1] = 0;
    return OK;
}
CUresult cuDeviceGetAttribute(int* v, int attr, int dev) {
    (void)dev;
    switch (attr) {
        case 16: {                     /* multiprocessors: an H100/H200's 132, or LIVETALK_STUB_MULTIPROCESSORS (tests: few SMs, many tiles each) */
            const char* sms = getenv("LIVETALK_STUB_MULTIPROCESSORS");
            *v = sms != NULL && atoi(sms) > 0 ? atoi(sms) : 132;
            break;
        }
        case 75: *v = 9; break;        /* compute capability major */
        case 76: *v = 0; break;        /* minor */
        case 97: *v = SMEM_OPTIN; break;   /* shared memory per block, opt-in */
        default: *v = 0;
    }
    return OK;
}
CUresult cuDeviceTotalMem_v2(size_t* bytes, int dev) { (void)dev; *bytes = device_bytes(); return OK; }
CUresult cuDevicePrimaryCtxRetain(void** ctx, int dev) { (void)dev; *ctx = handle(); return OK; }
CUresult cuCtxSetCurrent(void* ctx) { (void)ctx; return OK; }
CUresult cuCtxSynchronize(void) { return OK; }
/* A module: its PTX text (the backend loads PTX), kept to read each kernel's thread limit from. */
typedef struct { char* ptx; } Module;
CUresult cuModuleLoadDataEx(void** mod, const void* image, unsigned n, void* opts, void** vals) {
    (void)n; (void)opts; (void)vals;
    Module* m = calloc(1, sizeof(Module));
    m->ptx = strdup((const char*)image);
    *mod = m;
    return OK;
}
/* A kernel: the dynamic shared memory its launches may ask for (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)
   and the most threads a block may have (its .maxntid, or exactly its .reqntid; 1024 without either). */
typedef struct { int max_dynamic_smem; long max_threads; int exact; } Function;
CUresult cuModuleGetFunction(void** fn, void* mod, const char* name) {
    Function* f = calloc(1, sizeof(Function));
    f->max_dynamic_smem = 48 << 10;
    f->max_threads = 1024;
    /* ".entry NAME(" ... ")" then the performance directives before the body's "{" */
    char key[512];
    snprintf(key, sizeof key, ".entry %s(", name);
    const char* at = strstr(((Module*)mod)->ptx, key);
    if (!at) { free(f); return 500; }                          /* CUDA_ERROR_NOT_FOUND */
    const char* close = strchr(at, ')'), *body = close ? strchr(close, '{') : NULL;
    for (const char* d = close; d && body && d < body; d++) {
        long x = 1, y = 1, z = 1;
        int reqntid = strncmp(d, ".reqntid", 8) == 0;
        if (!reqntid && strncmp(d, ".maxntid", 8) != 0) continue;
        if (sscanf(d + 8, " %ld , %ld , %ld", &x, &y, &z) < 1) continue;
        f->max_threads = x * y * z;
        f->exact = reqntid;
    }
    *fn = f;
    return OK;
}
CUresult cuFuncSetAttribute(void* fn, int attr, int v) {
    if (attr == 8) {                                           /* MAX_DYNAMIC_SHARED_SIZE_BYTES */
        if (v < 0 || v > SMEM_OPTIN) return 1;                 /* beyond the opt-in this device reports */
        ((Function*)fn)->max_dynamic_smem = v;
    }
    return OK;
}
static CUresult mem_alloc(uint64_t* p, size_t bytes, void* stream) {
    (void)stream;
    size_t rounded = (bytes + 255) & ~(size_t)255;
    if (live_bytes + rounded > device_bytes()) return 2;   /* CUDA_ERROR_OUT_OF_MEMORY */
    *p = next_address;
    next_address += rounded;
    unsigned i = slot_of(*p);
    while (slot_addr[i]) i = (i + 1) & (SLOTS - 1);
    slot_addr[i] = *p;
    slot_bytes[i] = rounded;
    live_bytes += rounded;
    return OK;
}
static CUresult mem_free(uint64_t p, void* stream) {
    (void)stream;
    for (unsigned i = slot_of(p); slot_addr[i]; i = (i + 1) & (SLOTS - 1)) {
        if (slot_addr[i] != p) continue;
        live_bytes -= slot_bytes[i];
        /* delete by moving later entries of the cluster back (linear probing) */
        unsigned j = i;
        for (;;) {
            slot_addr[i] = 0;
            for (;;) {
                j = (j + 1) & (SLOTS - 1);
                if (!slot_addr[j]) return OK;
                unsigned k = slot_of(slot_addr[j]);
                if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j)) continue;
                break;
            }
            slot_addr[i] = slot_addr[j];
            slot_bytes[i] = slot_bytes[j];
            i = j;
        }
    }
    return OK;
}
CUresult cuMemAllocAsync(uint64_t* p, size_t bytes, void* stream) {
    pthread_mutex_lock(&memory_lock);
    CUresult r = mem_alloc(p, bytes, stream);
    pthread_mutex_unlock(&memory_lock);
    return r;
}
CUresult cuMemFreeAsync(uint64_t p, void* stream) {
    pthread_mutex_lock(&memory_lock);
    CUresult r = mem_free(p, stream);
    pthread_mutex_unlock(&memory_lock);
    return r;
}
CUresult cuMemcpyHtoD_v2(uint64_t d, const void* s, size_t n) { (void)d; (void)s; (void)n; return OK; }
CUresult cuMemcpyDtoH_v2(void* d, uint64_t s, size_t n) { (void)d; (void)s; (void)n; return OK; }
CUresult cuMemcpyDtoD_v2(uint64_t d, uint64_t s, size_t n) { (void)d; (void)s; (void)n; return OK; }
CUresult cuMemsetD32_v2(uint64_t d, unsigned v, size_t n) { (void)d; (void)v; (void)n; return OK; }
CUresult cuMemcpyHtoDAsync_v2(uint64_t d, const void* s, size_t n, void* st) { (void)d; (void)s; (void)n; (void)st; return OK; }
CUresult cuMemcpyDtoHAsync_v2(void* d, uint64_t s, size_t n, void* st) { (void)d; (void)s; (void)n; (void)st; return OK; }
CUresult cuMemcpyDtoDAsync_v2(uint64_t d, uint64_t s, size_t n, void* st) { (void)d; (void)s; (void)n; (void)st; return OK; }
CUresult cuMemsetD32Async(uint64_t d, unsigned v, size_t n, void* st) { (void)d; (void)v; (void)n; (void)st; return OK; }
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void* stream, void** params, void** extra) {
    (void)stream; (void)params; (void)extra;
    const Function* fn = f;
    if ((int)smem > fn->max_dynamic_smem) return 1;                /* CUDA_ERROR_INVALID_VALUE */
    long threads = (long)bx * by * bz;
    if (threads > 1024 || bz > 64) return 1;
    if (threads > fn->max_threads || (fn->exact && threads != fn->max_threads)) return 1;   /* its __launch_bounds__ */
    if (gx > 0x7FFFFFFFu || gy > 65535 || gz > 65535) return 1;   /* the grid's limits on every card since sm_30 */
    return OK;
}
CUresult cuGetErrorName(int e, const char** s) {
    *s = e == 2 ? "CUDA_ERROR_OUT_OF_MEMORY" : e == 1 ? "CUDA_ERROR_INVALID_VALUE" : e == 500 ? "CUDA_ERROR_NOT_FOUND" : "CUDA_STUB_ERROR";
    return OK;
}
CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total) {
    pthread_mutex_lock(&memory_lock);
    *free_bytes = device_bytes() - live_bytes;
    pthread_mutex_unlock(&memory_lock);
    *total = device_bytes();
    return OK;
}
CUresult cuDeviceGetDefaultMemPool(void** pool, int dev) { (void)dev; *pool = handle(); return OK; }
CUresult cuMemPoolSetAttribute(void* pool, int attr, void* v) { (void)pool; (void)attr; (void)v; return OK; }
CUresult cuMemPoolGetAttribute(void* pool, int attr, void* v) { (void)pool; (void)attr; *(uint64_t*)v = 0; return OK; }
CUresult cuMemPoolTrimTo(void* pool, size_t keep) { (void)pool; (void)keep; return OK; }
CUresult cuEventCreate(void** e, unsigned flags) { (void)flags; *e = calloc(1, sizeof(double)); return OK; }
CUresult cuEventRecord(void* e, void* stream) { (void)stream; *(double*)e = now_ms(); return OK; }
CUresult cuEventSynchronize(void* e) { (void)e; return OK; }
CUresult cuEventElapsedTime(float* ms, void* a, void* b) { *ms = (float)(*(double*)b - *(double*)a); return OK; }
CUresult cuEventDestroy_v2(void* e) { free(e); return OK; }
CUresult cuStreamCreate(void** s, unsigned flags) { (void)flags; *s = handle(); return OK; }
CUresult cuStreamDestroy_v2(void* s) { (void)s; return OK; }
CUresult cuStreamSynchronize(void* s) { (void)s; return OK; }
CUresult cuStreamWaitEvent(void* s, void* e, unsigned flags) { (void)s; (void)e; (void)flags; return OK; }
/* The driver's rules for a tiled tensor map (cuda.h's cuTensorMapEncodeTiled), for the ordinary
   data types and no interleave, which are all the backend encodes: a map it would refuse, this
   refuses (CUDA_ERROR_INVALID_VALUE) instead of letting a kernel read from it. */
static int element_bytes(int type) {
    switch (type) {
        case 0: return 1;                                  /* UINT8 */
        case 1: case 6: case 9: return 2;                  /* UINT16, FLOAT16, BFLOAT16 */
        case 2: case 3: case 7: case 10: case 11: case 12: return 4;
        case 4: case 5: case 8: return 8;
        default: return 0;
    }
}
CUresult cuTensorMapEncodeTiled(void* map, int type, unsigned rank, void* addr, const uint64_t* dims, const uint64_t* strides,
                                const unsigned* box, const unsigned* elem, int interleave, int swizzle, int l2, int oob) {
    (void)l2; (void)oob;
    int size = element_bytes(type);
    if (((uintptr_t)map & 63) || size == 0 || rank == 0 || rank > 5 || interleave != 0) return 1;
    if ((uintptr_t)addr & 15) return 1;
    for (unsigned i = 0; i < rank; i++) {
        if (dims[i] == 0 || dims[i] > ((uint64_t)1 << 32)) return 1;
        if (box[i] == 0 || box[i] > 256) return 1;
        if (elem[i] == 0 || elem[i] > 8) return 1;
        if (i + 1 < rank && ((strides[i] & 15) || strides[i] >= ((uint64_t)1 << 40))) return 1;
    }
    if ((box[0] * (unsigned)size) % 16) return 1;
    static const unsigned span[] = {0, 32, 64, 128, 128, 128, 128};   /* the swizzle's span in bytes */
    if (swizzle < 0 || swizzle > 6) return 1;
    if (swizzle > 0 && box[0] * (unsigned)size > span[swizzle]) return 1;
    memset(map, 0, 128);
    return OK;
}
