package livetalk.sampler;

import livetalk.tensor.Half;

/**
 * The inference flow-matching schedule (docs/sampler.md#schedule, docs/sampler.md#timesteps): {@code FlowMatchScheduler(shift,
 * sigma_min=0, extra_one_step=True, num_inference_steps)} in float32. With shift 5 and 4 steps:
 * σ = [1, .9375, .83333, .625], t = 1000σ. The warped step list is these timesteps.
 *
 * <p>The time embedding sees the step list cast to the pipeline dtype (bf16: 1000, 936, 832,
 * 624) while σ for x0 and re-noising comes from the nearest scheduler timestep, so it stays
 * exact. {@link #embeddingTimesteps(boolean)} gives either list; {@link #sigmaAt} does the lookup.
 */
public final class FlowMatchSchedule {
    public static final float OFFICIAL_SHIFT = 5f;
    public static final int OFFICIAL_STEPS = 4;
    private static final float NUM_TRAIN_TIMESTEPS = 1000f;

    private final float[] sigmas, timesteps;

    public FlowMatchSchedule(float shift, int steps) {
        sigmas = new float[steps];
        timesteps = new float[steps];
        for (int i = 0; i < steps; i++) {
            float s = (float) (1.0 - (double) i / steps);            // linspace(1, 0, steps+1)[:-1]
            float warped = shift * s / (1f + (shift - 1f) * s);      // float32 like torch
            sigmas[i] = warped;
            timesteps[i] = warped * NUM_TRAIN_TIMESTEPS;
        }
    }

    public static FlowMatchSchedule official() {
        return new FlowMatchSchedule(OFFICIAL_SHIFT, OFFICIAL_STEPS);
    }

    public float[] sigmas() {
        return sigmas.clone();
    }

    public float[] timesteps() {
        return timesteps.clone();
    }

    public int steps() {
        return sigmas.length;
    }

    /**
     * The step list the DiT's time embedding sees: rounded to bf16 as the official bf16 pipeline
     * does (docs/sampler.md#timesteps), or the exact float32 timesteps.
     */
    public float[] embeddingTimesteps(boolean bf16) {
        float[] t = timesteps.clone();
        if (bf16) for (int i = 0; i < t.length; i++) t[i] = Half.roundToBf16(t[i]);
        return t;
    }

    /** σ of the scheduler timestep nearest to {@code t} ({@code argmin |timesteps − t|}, first on ties). */
    public float sigmaAt(double t) {
        int best = 0;
        for (int i = 1; i < timesteps.length; i++) {
            if (Math.abs(timesteps[i] - t) < Math.abs(timesteps[best] - t)) best = i;
        }
        return sigmas[best];
    }
}
