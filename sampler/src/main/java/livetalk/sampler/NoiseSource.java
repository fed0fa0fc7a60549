package livetalk.sampler;

/**
 * Where every random number of a generation comes from (docs/sampler.md#block-loop): the sampler asks for one
 * standard-normal tensor per draw, in the order the reference draws them.
 */
public interface NoiseSource {
    /** The next draw: {@code n} standard-normal values. */
    float[] next(int n);
}
