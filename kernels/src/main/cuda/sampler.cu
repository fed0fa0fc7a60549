// The sampler's step (Backend.patchify, unpatchify, subtractScaled): the DiT's patch layout in and
// out, and the flow-matching update, so that a block's denoising steps stay on the device.
// Reference: livetalk.kernels.cpu.SamplerKernels, bit for bit. The index math is sampler_layout.cuh.
#include "common.cuh"
#include "sampler_layout.cuh"

// One source of the DiT's patchified input: element e of src's [frames, channels, h, w] view
// (strides frame_stride and channel_stride, planes contiguous) to its token's row.
extern "C" __global__ void patchify(const float* src, i64 frame_stride, i64 channel_stride, int channels, float* out, int out_channels,
                                    int c0, int frames, int h, int w, int ph, int pw) {
    FOR_EACH(e, (i64)frames * channels * h * w) {
        const PatchPlace p = patch_place(e, channels, h, w, ph, pw);
        out[patchify_out(p, out_channels, c0, ph, pw)] = src[patchify_src(p, frame_stride, channel_stride)];
    }
}

// The head's tokens [frames·gh·gw, ph·pw·channels] back to out [frames, channels, h, w].
extern "C" __global__ void unpatchify(const float* tokens, int channels, float* out, int frames, int h, int w, int ph, int pw) {
    FOR_EACH(e, (i64)frames * channels * h * w) out[e] = tokens[unpatchify_src(patch_place(e, channels, h, w, ph, pw), channels, ph, pw)];
}

// out = (float)(a − s·b) in double, with the product rounded before the difference as on the CPU
// (__dmul_rn and __dsub_rn: no fused multiply-add), then one rounding to float.
extern "C" __global__ void subtract_scaled(const float* a, double s, const float* b, float* out, i64 n) {
    FOR_EACH(i, n) out[i] = (float)__dsub_rn((double)a[i], __dmul_rn(s, (double)b[i]));
}
