// The float operations of the Wan VAE's channel RMS norm (VaeReferenceKernels.rmsNormChannels), in
// one place: rms_norm_channels and rms_scale_channels (norms.cu) and the fused copy
// conv_pad_cl_norm (conv.cu) all call these, so that the fused path computes the same float32
// values, bit for bit, as the norm kernel whose output the plain copy rounds
// (docs/cuda-performance.md#the-vae-norm-fused-into-the-convolutions-copy-validated-in-run-10-the-default).
//   y[t, c, p] = x[t, c, p] · scale[t, p] · gamma[c], then SiLU if asked,
//   scale[t, p] = √C / max(sqrt(Σ_c x[t, c, p]²), eps), the sum taken in channel order.
#pragma once

// s + v², one step of the sum of squares: one fused multiply-add, as nvcc contracts `s += v * v`.
// The steps must come in channel order, from s = 0, for the sum to be the same bits everywhere.
__device__ __forceinline__ float vae_norm_fold(float s, float v) {
    return fmaf(v, v, s);
}

// √C / max(‖x‖, eps) from the sum of squares; root = sqrtf((float)C).
__device__ __forceinline__ float vae_norm_scale(float sumsq, float root, float eps) {
    return root / fmaxf(sqrtf(sumsq), eps);
}

// One normalised value from xs = x·scale (the caller multiplies, so that x is read before gamma as
// rms_norm_channels always did: its PTX stays as it was), times gamma, then SiLU if asked: y / (1 + e^-y).
__device__ __forceinline__ float vae_norm_apply(float xs, float g, bool silu) {
    const float y = xs * g;
    return silu ? y / (1.f + expf(-y)) : y;
}
