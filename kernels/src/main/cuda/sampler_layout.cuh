// Index math of the sampler's step kernels (sampler.cu), free of device code so that a host
// program checks it against the CPU's loops (kernels/src/test/cuda/sampler_layout_test.cpp, run by
// scripts/build-ptx.sh --check). Every function here is what the kernels themselves call.
//
// Element e runs over a latent video [frames, channels, h, w] (frame, channel, row y, column x).
// Its patch is token (f, y / ph, x / pw) of a gh × gw grid per frame (gh = h / ph, gw = w / pw),
// numbered frame, then patch row, then patch column; (a, b) = (y % ph, x % pw) is its place in the
// patch. patchify puts channel c of the source at column (c0 + c)·ph·pw + a·pw + b of a token row
// outChannels·ph·pw wide (the Conv3d weight's flattening); the head writes (a·pw + b)·channels + c
// (the channel fastest), which unpatchify reads.
#pragma once

#if defined(__CUDACC__)
#define SAMPLER_HD __host__ __device__ __forceinline__
#else
#define SAMPLER_HD inline
typedef long long i64;
#endif

struct PatchPlace {
    i64 token;  // the token's row
    i64 pixel;  // y·w + x, inside the plane
    int f, c;   // frame and channel
    int ab;     // a·pw + b, the element's place in its patch
    int a;      // y % ph
};

SAMPLER_HD PatchPlace patch_place(i64 e, int channels, int h, int w, int ph, int pw) {
    const i64 plane = (i64)h * w;
    PatchPlace p;
    p.pixel = e % plane;
    p.c = (int)((e / plane) % channels);
    p.f = (int)(e / (plane * channels));
    const int y = (int)(p.pixel / w), x = (int)(p.pixel % w);
    p.token = ((i64)p.f * (h / ph) + y / ph) * (w / pw) + x / pw;
    p.a = y % ph;
    p.ab = p.a * pw + x % pw;
    return p;
}

// patchify: where element e of the source goes in out, and where it is read from.
SAMPLER_HD i64 patchify_out(const PatchPlace& p, int out_channels, int c0, int ph, int pw) {
    const int b = p.ab - p.a * pw;
    return p.token * ((i64)out_channels * ph * pw) + ((i64)(c0 + p.c) * ph + p.a) * pw + b;
}

SAMPLER_HD i64 patchify_src(const PatchPlace& p, i64 frame_stride, i64 channel_stride) {
    return p.f * frame_stride + p.c * channel_stride + p.pixel;
}

// unpatchify: element e of out [frames, channels, h, w] comes from this element of the tokens.
SAMPLER_HD i64 unpatchify_src(const PatchPlace& p, int channels, int ph, int pw) {
    return p.token * ((i64)ph * pw * channels) + (i64)p.ab * channels + p.c;
}
