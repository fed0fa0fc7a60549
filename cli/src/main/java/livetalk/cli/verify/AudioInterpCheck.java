package livetalk.cli.verify;

import livetalk.kernels.Backend;
import livetalk.kernels.Resampling;
import livetalk.tensor.Tensor;

/**
 * {@code audio_interp}: wav2vec2 convolutional features stretched to the video frame count by
 * linear interpolation with {@code align_corners=True} (docs/model.md#wav2vec2, docs/numerics.md#audio-features).
 */
final class AudioInterpCheck implements GoldenCheck {
    @Override
    public String stem() {
        return "audio_interp";
    }

    @Override
    public void run(GoldenDir dir, Backend backend, Report report) {
        Tensor in = dir.tensor(stem(), "conv_features");       // [1, T_in, C]
        Tensor expected = dir.tensor(stem(), "interpolated");  // [1, T_out, C]
        int tIn = (int) in.dim(1), c = (int) in.dim(2), tOut = (int) expected.dim(1);
        float[] out = Resampling.linearAlignCorners(in.toFloatArray(), tIn, c, tOut);
        report.compare(stem(), "interpolated", expected.toFloatArray(), out);   // both needed: nothing to derive
    }
}
