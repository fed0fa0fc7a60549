// Row norms: one work-group of NT items per row, float32 statistics, tree reductions in local memory.
// Each item reads and writes only its own elements in the final pass, so out may be x (in place).
#define NT 256

inline float group_sum(float v, __local float* red) {
    const int t = get_local_id(0);
    red[t] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = NT / 2; s > 0; s >>= 1) {
        if (t < s) red[t] += red[t + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE); // red is reused by the next reduction
    return r;
}

__kernel __attribute__((reqd_work_group_size(NT, 1, 1)))
void layer_norm(const __global float* x, long xOff, __global float* out, long outOff, int dim, float eps,
                const __global ushort* gamma, int gType, int hasGamma,
                const __global ushort* beta, int bType, int hasBeta) {
    __local float red[NT];
    const long base = (long) get_group_id(0) * dim;
    x += xOff + base;
    out += outOff + base;
    const int t = get_local_id(0);

    float s = 0.0f;
    for (int i = t; i < dim; i += NT) s += x[i];
    const float mean = group_sum(s, red) / dim;
    float v = 0.0f;
    for (int i = t; i < dim; i += NT) {
        const float d = x[i] - mean;
        v = fma(d, d, v);
    }
    const float inv = 1.0f / sqrt(group_sum(v, red) / dim + eps); // two-pass variance, as PyTorch
    for (int i = t; i < dim; i += NT) {
        float y = (x[i] - mean) * inv;
        if (hasGamma) y *= ldw(gamma, i, gType);
        if (hasBeta) y += ldw(beta, i, bType);
        out[i] = y;
    }
}

__kernel __attribute__((reqd_work_group_size(NT, 1, 1)))
void rms_norm(const __global float* x, long xOff, __global float* out, long outOff, int dim, float eps,
              const __global ushort* gamma, int gType, int hasGamma) {
    __local float red[NT];
    const long base = (long) get_group_id(0) * dim;
    x += xOff + base;
    out += outOff + base;
    const int t = get_local_id(0);

    float s = 0.0f;
    for (int i = t; i < dim; i += NT) s = fma(x[i], x[i], s);
    const float inv = 1.0f / sqrt(group_sum(s, red) / dim + eps);
    for (int i = t; i < dim; i += NT) {
        float y = x[i] * inv;
        if (hasGamma) y *= ldw(gamma, i, gType);
        out[i] = y;
    }
}
