package livetalk.model.audio;

/**
 * 1-D convolution as im2col + matrix product: the column matrix is built on the host and the
 * product runs as {@code Backend.linear}. Layout is time-major: {@code x[t, c]}. For the conv of
 * output frame t the column holds {@code x[t·stride + k − pad, c]} at index {@code c·K + k},
 * matching a PyTorch weight {@code [out, in, K]} flattened to {@code [out, in·K]}; positions
 * outside {@code [0, T)} are zero padding.
 */
final class Conv1d {
    private Conv1d() {
    }

    static int outLength(int t, int kernel, int stride, int pad) {
        return (t + 2 * pad - kernel) / stride + 1;
    }

    /**
     * Columns of channels {@code [c0, c0+cn)} of {@code x[t, channels]}, for {@code outT}
     * output frames: {@code [outT, cn·K]}.
     */
    static float[] im2col(float[] x, int t, int channels, int c0, int cn, int kernel, int stride, int pad, int outT) {
        float[] col = new float[outT * cn * kernel];
        for (int o = 0; o < outT; o++) {
            int base = o * cn * kernel;
            for (int k = 0; k < kernel; k++) {
                int src = o * stride + k - pad;
                if (src < 0 || src >= t) continue;
                int row = src * channels + c0;
                for (int c = 0; c < cn; c++) col[base + c * kernel + k] = x[row + c];
            }
        }
        return col;
    }
}
