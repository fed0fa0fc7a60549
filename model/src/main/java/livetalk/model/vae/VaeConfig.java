package livetalk.model.vae;

import java.util.ArrayList;
import java.util.List;
import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;

/**
 * The {@code WanVAE_} hyper-parameters (docs/model.md#vae: dim 96, z 16, dim_mult [1,2,4,4], 2 residual
 * blocks, temporal downsampling [False, True, True]), read off the tensors of a checkpoint with the
 * official names rather than assumed, so the tiny golden VAE and the released one load alike.
 *
 * @param dim                 base width ({@code encoder.conv1} output channels)
 * @param zDim                latent channels ({@code conv2})
 * @param dimMult             width multiplier per stage
 * @param numResBlocks        residual blocks per encoder stage (the decoder has one more)
 * @param temporalDownsample  per encoder downsampling step, whether it also halves time
 */
public record VaeConfig(int dim, int zDim, List<Integer> dimMult, int numResBlocks, List<Boolean> temporalDownsample) {

    public static VaeConfig infer(Checkpoint ckpt) {
        int dim = (int) ckpt.get("encoder.conv1.weight").dim(0);
        int zDim = (int) ckpt.get("conv2.weight").dim(0);
        int nrb = 0;
        while (ckpt.contains("encoder.downsamples." + nrb + ".residual.0.gamma")) nrb++;
        if (nrb == 0) throw new CheckpointException(ckpt.path() + ": no 'encoder.downsamples.0.residual.0.gamma': not a Wan VAE checkpoint");
        List<Integer> mult = new ArrayList<>();
        List<Boolean> temporal = new ArrayList<>();
        for (int stage = 0; ; stage++) {
            int first = stage * (nrb + 1);
            String rb = "encoder.downsamples." + first + ".residual.6.weight";
            if (!ckpt.contains(rb)) break;
            mult.add((int) (ckpt.get(rb).dim(0) / dim));
            String resample = "encoder.downsamples." + (first + nrb);
            if (ckpt.contains(resample + ".resample.1.weight")) temporal.add(ckpt.contains(resample + ".time_conv.weight"));
        }
        if (temporal.size() != mult.size() - 1) {
            throw new CheckpointException(ckpt.path() + ": encoder has " + mult.size() + " stages but " + temporal.size() + " downsampling steps");
        }
        return new VaeConfig(dim, zDim, List.copyOf(mult), nrb, List.copyOf(temporal));
    }

    /** Spatial compression factor (8 for the Wan VAE). */
    public int spatialFactor() {
        return 1 << temporalDownsample.size();
    }

    /** Temporal compression factor (4 for the Wan VAE). */
    public int temporalFactor() {
        int f = 1;
        for (boolean b : temporalDownsample) if (b) f *= 2;
        return f;
    }
}
