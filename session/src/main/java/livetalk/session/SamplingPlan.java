package livetalk.session;

import livetalk.sampler.CausalInference;
import livetalk.sampler.FlowMatchSchedule;

/**
 * The one owner of the sampling schedule: block geometry, the KV-cache policy (identity sinks +
 * rolling window) and which timesteps the DiT's time embedding sees. {@code generate} and every
 * live session take their settings from here, so the bf16-timestep choice is made in one place.
 *
 * @param sinkFrames     identity-sink latent frames, never evicted (official 9)
 * @param windowFrames   attention window in latent frames (official 15)
 * @param exactTimesteps feed 1000, 937.5, 833.3, 625 instead of the reference run's bf16-rounded
 *                       1000, 936, 832, 624 (docs/sampler.md#timesteps); σ stays exact either way
 */
public record SamplingPlan(int sinkFrames, int windowFrames, boolean exactTimesteps) {
    /** Latent frames per block (docs/sampler.md#geometry): one block is 3 latent = 12 video frames = 0.75 s. */
    public static final int FRAMES_PER_BLOCK = 3;

    public SamplingPlan {
        if (windowFrames < FRAMES_PER_BLOCK || sinkFrames < 0 || sinkFrames > windowFrames - FRAMES_PER_BLOCK) {
            throw new InputException("--window-frames " + windowFrames + " / --sink-frames " + sinkFrames
                    + ": the window must hold the sinks plus one 3-frame block");
        }
    }

    /** The official settings: 9 sinks, a 15-frame window, bf16-rounded timesteps. */
    public static SamplingPlan official() {
        return new SamplingPlan(9, 15, false);
    }

    public FlowMatchSchedule schedule() {
        return FlowMatchSchedule.official();
    }

    /** The timesteps the DiT sees per step: bf16-rounded as in the official bf16 run unless exact. */
    public float[] stepTimesteps() {
        return schedule().embeddingTimesteps(!exactTimesteps);
    }

    public CausalInference.Settings settings() {
        return new CausalInference.Settings(FRAMES_PER_BLOCK, windowFrames, sinkFrames);
    }
}
