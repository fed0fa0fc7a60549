// Shared helpers, prepended to every other source of the program.
//
// Weights keep their file dtype on the device; a weight buffer is passed as `const __global ushort*`
// with a dtype code, and the element is widened here. The code is the same for every work-item of
// a launch, so the branch is uniform and costs next to nothing on a GPU.
#define W_F32 0
#define W_BF16 1
#define W_F16 2

inline float ldw(const __global ushort* w, long i, int dtype) {
    if (dtype == W_F32) return ((const __global float*) w)[i];
    if (dtype == W_BF16) return as_float(((uint) w[i]) << 16); // bf16 is the upper half of an f32
    return vload_half(i, (const __global half*) w);            // IEEE binary16, core since OpenCL 1.0
}
