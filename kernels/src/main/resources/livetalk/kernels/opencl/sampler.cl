// The sampler's step (Backend.patchify, unpatchify, subtractScaled): the DiT's patch layout in and
// out, and the flow-matching update, so that a block's denoising steps stay on the device. One
// work-item per element of the latent video [frames, channels, h, w]; the CPU's SamplerKernels
// give the same bits.

// Element e of a latent video [frames, channels, h, w]: its frame f, channel c and pixel, the token
// (f, y / ph, x / pw) of its patch, and its place (a, b) = (y % ph, x % pw) in the patch.
typedef struct { long token, pixel; int f, c, a, b; } PatchPlace;

PatchPlace patch_place(long e, int channels, int h, int w, int ph, int pw) {
    const long plane = (long) h * w;
    PatchPlace p;
    p.pixel = e % plane;
    p.c = (int) ((e / plane) % channels);
    p.f = (int) (e / (plane * channels));
    const int y = (int) (p.pixel / w), x = (int) (p.pixel % w);
    p.token = ((long) p.f * (h / ph) + y / ph) * (w / pw) + x / pw;
    p.a = y % ph;
    p.b = x % pw;
    return p;
}

// One source of the patchified input: item e is src element (f, c, y, x); it goes to its token's
// row (outChannels·ph·pw wide), column (c0 + c)·ph·pw + a·pw + b.
__kernel void patchify(const __global float* src, long srcOff, long frameStride, long channelStride, int channels,
                       __global float* out, long outOff, int outChannels, int c0,
                       int frames, int h, int w, int ph, int pw) {
    const long e = get_global_id(0);
    if (e >= (long) frames * channels * h * w) return;
    const PatchPlace p = patch_place(e, channels, h, w, ph, pw);
    out[outOff + p.token * ((long) outChannels * ph * pw) + ((long) (c0 + p.c) * ph + p.a) * pw + p.b] =
            src[srcOff + p.f * frameStride + p.c * channelStride + p.pixel];
}

// Item e is out element (f, c, y, x) of [frames, channels, h, w]; it comes from its token's row,
// column (a·pw + b)·channels + c (the channel fastest).
__kernel void unpatchify(const __global float* tokens, long tokensOff, int channels, __global float* out, long outOff,
                         int frames, int h, int w, int ph, int pw) {
    const long e = get_global_id(0);
    if (e >= (long) frames * channels * h * w) return;
    const PatchPlace p = patch_place(e, channels, h, w, ph, pw);
    out[outOff + e] = tokens[tokensOff + p.token * ((long) ph * pw * channels) + (p.a * pw + p.b) * channels + p.c];
}

#if defined(cl_khr_fp64)
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
// out = (float) (a − s·b) in double, rounded once; the host calls it only where the device has
// cl_khr_fp64 and does the update itself elsewhere.
__kernel void subtract_scaled(const __global float* a, long aOff, double s, const __global float* b, long bOff,
                              __global float* out, long outOff, long n) {
#pragma OPENCL FP_CONTRACT OFF
    const long i = get_global_id(0);
    if (i < n) {
        const double sb = s * (double) b[bOff + i];   // rounded to double, as on the CPU: no fused multiply-add
        out[outOff + i] = (float) ((double) a[aOff + i] - sb);
    }
}
#endif
