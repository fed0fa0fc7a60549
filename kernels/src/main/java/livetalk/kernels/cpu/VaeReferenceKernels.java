package livetalk.kernels.cpu;

import livetalk.kernels.Conv3dSpec;

/**
 * Scalar references for the VAE section of the backend ({@link livetalk.kernels.Backend#conv3d}
 * and friends): the plainest correct loops, one thread, double accumulators. The fast kernels in
 * {@link ConvKernels} are tested against these. Layouts are those of the Backend doc comments.
 */
public final class VaeReferenceKernels {
    private VaeReferenceKernels() {
    }

    /** See {@link livetalk.kernels.Backend#conv3d}; {@code hist} may be null when histFrames is 0. */
    public static void conv3d(float[] hist, int histOff, int histFrames, float[] x, int xOff, int frames, int h, int w,
                              float[] out, int outOff, Conv3dSpec s, CpuWeight weight, CpuWeight bias) {
        int tOut = s.outFrames(histFrames + frames), hOut = s.outH(h), wOut = s.outW(w);
        int frame = s.cin() * h * w;
        for (int t = 0; t < tOut; t++) {
            for (int o = 0; o < s.cout(); o++) {
                for (int y = 0; y < hOut; y++) {
                    for (int xo = 0; xo < wOut; xo++) {
                        double acc = bias == null ? 0 : bias.at(o);
                        for (int dt = 0; dt < s.kt(); dt++) {
                            int tau = t * s.st() + dt - s.padFront();
                            if (tau < 0) continue; // front zero padding
                            float[] src = tau < histFrames ? hist : x;
                            int base = tau < histFrames ? histOff + tau * frame : xOff + (tau - histFrames) * frame;
                            for (int c = 0; c < s.cin(); c++) {
                                for (int dy = 0; dy < s.kh(); dy++) {
                                    int yi = y * s.sh() + dy - s.padTop();
                                    if (yi < 0 || yi >= h) continue;
                                    for (int dx = 0; dx < s.kw(); dx++) {
                                        int xi = xo * s.sw() + dx - s.padLeft();
                                        if (xi < 0 || xi >= w) continue;
                                        long wi = ((((long) o * s.cin() + c) * s.kt() + dt) * s.kh() + dy) * s.kw() + dx;
                                        acc += (double) weight.at(wi) * src[base + (c * h + yi) * w + xi];
                                    }
                                }
                            }
                        }
                        out[outOff + ((t * s.cout() + o) * hOut + y) * wOut + xo] = (float) acc;
                    }
                }
            }
        }
    }

    /** See {@link livetalk.kernels.Backend#rmsNormChannels}. */
    public static void rmsNormChannels(float[] x, int xOff, float[] out, int outOff, int frames, int channels, int pixels, float eps,
                                       CpuWeight gamma, boolean silu) {
        double scale = Math.sqrt(channels);
        for (int t = 0; t < frames; t++) {
            int base = t * channels * pixels;
            for (int p = 0; p < pixels; p++) {
                double ss = 0;
                for (int c = 0; c < channels; c++) {
                    double v = x[xOff + base + c * pixels + p];
                    ss += v * v;
                }
                double inv = scale / Math.max(Math.sqrt(ss), eps);
                for (int c = 0; c < channels; c++) {
                    int i = base + c * pixels + p;
                    double y = x[xOff + i] * inv * gamma.at(c);
                    out[outOff + i] = (float) (silu ? y / (1 + Math.exp(-y)) : y);
                }
            }
        }
    }

    /** See {@link livetalk.kernels.Backend#upsampleNearest2x}. */
    public static void upsampleNearest2x(float[] x, int xOff, float[] out, int outOff, int planes, int h, int w) {
        for (int p = 0; p < planes; p++) {
            for (int y = 0; y < 2 * h; y++) {
                for (int xo = 0; xo < 2 * w; xo++) {
                    out[outOff + (p * 2 * h + y) * 2 * w + xo] = x[xOff + (p * h + y / 2) * w + xo / 2];
                }
            }
        }
    }

    /** See {@link livetalk.kernels.Backend#transpose}. */
    public static void transpose(float[] x, int xOff, float[] out, int outOff, int rows, int cols) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[outOff + j * rows + i] = x[xOff + i * cols + j];
            }
        }
    }
}
