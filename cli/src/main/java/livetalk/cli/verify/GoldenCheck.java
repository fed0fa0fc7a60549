package livetalk.cli.verify;

import livetalk.kernels.Backend;

/**
 * One golden trace file checked against the engine: {@link #stem()} names the file
 * ({@code STEM.safetensors}); {@link #run} recomputes its tensors and reports each comparison.
 * Nothing may depend on the sizes of a particular golden set: read them from the files.
 */
public interface GoldenCheck {
    String stem();

    void run(GoldenDir dir, Backend backend, Report report) throws Exception;
}
