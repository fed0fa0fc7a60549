// The sampler's step (Backend.patchify, unpatchify, subtractScaled): the DiT's patch layout in and
// out, and the flow-matching update, so that a block's denoising steps stay on the device. One
// work-item per element of the latent video [frames, channels, h, w]; the CPU's SamplerKernels
// give the same bits.

// One source of the patchified input: item e is src element (f, c, y, x); it goes to token
// (f, y / ph, x / pw), column (c0 + c)·ph·pw + (y % ph)·pw + x % pw of rows outChannels·ph·pw wide.
__kernel void patchify(const __global float* src, long srcOff, long frameStride, long channelStride, int channels,
                       __global float* out, long outOff, int outChannels, int c0,
                       int frames, int h, int w, int ph, int pw) {
    const long e = get_global_id(0);
    const long plane = (long) h * w;
    if (e >= frames * channels * plane) return;
    const long p = e % plane;
    const int c = (int) ((e / plane) % channels), f = (int) (e / (plane * channels));
    const int y = (int) (p / w), x = (int) (p % w);
    const int gh = h / ph, gw = w / pw;
    const long token = ((long) f * gh + y / ph) * gw + x / pw;
    const long col = ((long) (c0 + c) * ph + y % ph) * pw + x % pw;
    out[outOff + token * ((long) outChannels * ph * pw) + col] = src[srcOff + f * frameStride + c * channelStride + p];
}

// Item e is out element (f, c, y, x) of [frames, channels, h, w]; it comes from token
// (f, y / ph, x / pw), column ((y % ph)·pw + x % pw)·channels + c (the channel fastest).
__kernel void unpatchify(const __global float* tokens, long tokensOff, int channels, __global float* out, long outOff,
                         int frames, int h, int w, int ph, int pw) {
    const long e = get_global_id(0);
    const long plane = (long) h * w;
    if (e >= frames * channels * plane) return;
    const long p = e % plane;
    const int c = (int) ((e / plane) % channels), f = (int) (e / (plane * channels));
    const int y = (int) (p / w), x = (int) (p % w);
    const int gh = h / ph, gw = w / pw;
    const long token = ((long) f * gh + y / ph) * gw + x / pw;
    out[outOff + e] = tokens[tokensOff + token * ((long) ph * pw * channels) + ((y % ph) * pw + x % pw) * channels + c];
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
