/*
 * The stub driver's own check (CudaStubDriverTest runs it): that it refuses what the driver would,
 * since the CUDA backend's checks without a GPU rest on it. Arguments: the stub library's PTX
 * resource gemm_tma_sm90.ptx (unzipped). Prints one line per case, "name: code", and exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int CUresult;
CUresult cuModuleLoadDataEx(void** mod, const void* image, unsigned n, void* opts, void** vals);
CUresult cuModuleGetFunction(void** fn, void* mod, const char* name);
CUresult cuFuncSetAttribute(void* fn, int attr, int v);
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void* stream, void** params, void** extra);
CUresult cuTensorMapEncodeTiled(void* map, int type, unsigned rank, void* addr, const uint64_t* dims, const uint64_t* strides,
                                const unsigned* box, const unsigned* elem, int interleave, int swizzle, int l2, int oob);

static CUresult map(uint64_t addr, uint64_t stride, unsigned boxCols) {
    static _Alignas(64) unsigned char m[128];
    uint64_t dims[2] = {1536, 3072}, strides[1] = {stride};
    unsigned box[2] = {boxCols, 128}, elem[2] = {1, 1};
    return cuTensorMapEncodeTiled(m, 9, 2, (void*)(uintptr_t)addr, dims, strides, box, elem, 0, 3, 2, 0);   /* bf16, 128B swizzle */
}

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    FILE* f = fopen(argv[1], "rb");
    if (!f) return 2;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char* ptx = malloc(n + 1);
    if (fread(ptx, 1, n, f) != (size_t)n) return 2;
    ptx[n] = 0;
    void *mod, *fn, *none;
    cuModuleLoadDataEx(&mod, ptx, 0, 0, 0);
    printf("missing kernel: %d\n", cuModuleGetFunction(&none, mod, "no_such_kernel"));
    cuModuleGetFunction(&fn, mod, "gemm_bf16_tn_tma_n128");
    printf("its 384 threads: %d\n", cuLaunchKernel(fn, 1, 1, 1, 384, 1, 1, 0, 0, 0, 0));
    printf("512 threads: %d\n", cuLaunchKernel(fn, 1, 1, 1, 512, 1, 1, 0, 0, 0, 0));
    printf("its ring, not allowed: %d\n", cuLaunchKernel(fn, 1, 1, 1, 384, 1, 1, 197728, 0, 0, 0));
    cuFuncSetAttribute(fn, 8, 197728);
    printf("its ring, allowed: %d\n", cuLaunchKernel(fn, 1, 1, 1, 384, 1, 1, 197728, 0, 0, 0));
    printf("grid y 65536: %d\n", cuLaunchKernel(fn, 1, 65536, 1, 384, 1, 1, 0, 0, 0, 0));
    printf("map: %d\n", map(1 << 20, 3072, 64));
    printf("map, address 8 bytes off: %d\n", map((1 << 20) + 8, 3072, 64));
    printf("map, stride 3080 bytes: %d\n", map(1 << 20, 3080, 64));
    printf("map, 128 columns under a 128-byte swizzle: %d\n", map(1 << 20, 3072, 128));
    return 0;
}
