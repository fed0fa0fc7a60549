package livetalk.model.dit;

import java.util.Map;
import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.tensor.Tensor;

/**
 * The causal DiT's configuration (docs/model.md#dit-constants). Everything the tensor shapes tell is read from
 * them; what they cannot tell (heads, eps, RoPE theta) comes from an optional JSON config, with
 * the official 1.3B values as defaults.
 *
 * @param dim            model width D
 * @param ffnDim         FFN hidden width
 * @param numLayers      DiT blocks
 * @param numHeads       attention heads H (head_dim = D / H)
 * @param inDim          input channels (16 noisy + 16 reference + 1 mask = 33)
 * @param outDim         output latent channels (16)
 * @param patchT         patch size along frames (1)
 * @param patchH         patch size along rows (2)
 * @param patchW         patch size along columns (2)
 * @param textDim        text-encoder width (4096 for umT5-XXL)
 * @param freqDim        sinusoidal timestep width (256)
 * @param audioInputDim  wav2vec feature width per frame (10752 = 14·768 officially)
 * @param audioPack      audio frames packed per latent frame (4)
 * @param audioHidden    AudioPack output width (32)
 * @param numAudioProjs  audio_cond_projs; audio is added before layers 2 .. 1+numAudioProjs
 * @param eps            LayerNorm / RMSNorm eps of the DiT (1e-6)
 * @param ropeTheta      RoPE base (10000)
 */
public record DitConfig(int dim, int ffnDim, int numLayers, int numHeads, int inDim, int outDim,
                        int patchT, int patchH, int patchW, int textDim, int freqDim,
                        int audioInputDim, int audioPack, int audioHidden, int numAudioProjs,
                        double eps, double ropeTheta) {

    /** Official 1.3B values for what shapes cannot tell (docs/model.md#dit-constants). */
    public static final int DEFAULT_HEADS = 12;
    public static final double DEFAULT_EPS = 1e-6;
    public static final double DEFAULT_THETA = 10000.0;
    /** AudioPack patch along time, hard coded (4,1,1) in the official model (docs/model.md#audio-projection). */
    public static final int AUDIO_PACK = 4;
    /** LayerNorm eps of AudioPack's norm_out (PyTorch default, docs/model.md#audio-projection). */
    public static final double AUDIO_NORM_EPS = 1e-5;

    public DitConfig {
        if (dim % numHeads != 0) {
            throw new CheckpointException("DiT width " + dim + " is not divisible by num_heads " + numHeads);
        }
        if (patchT != 1) {
            throw new CheckpointException("DiT patch size along frames must be 1 (found " + patchT + ")");
        }
    }

    public int headDim() {
        return dim / numHeads;
    }

    /** Values per output token: pt·ph·pw·outDim. */
    public int patchOut() {
        return patchT * patchH * patchW * outDim;
    }

    /** Whether the residual stream gets audio projection {@code layer − 2} before this layer (docs/model.md#dit-forward step 7). */
    public boolean audioBefore(int layer) {
        return layer >= 2 && layer - 2 < numAudioProjs && layer <= numLayers / 2;
    }

    /**
     * Infers the configuration from a checkpoint's tensor shapes plus an optional config map
     * (keys {@code num_heads}, {@code eps}, {@code rope_theta}; others are ignored).
     */
    public static DitConfig infer(Checkpoint ck, Map<String, Object> json) {
        Tensor patch = ck.get("patch_embedding.weight");          // [D, inDim, pt, ph, pw]
        if (patch.rank() != 5) {
            throw new CheckpointException(ck.path() + ": patch_embedding.weight has rank " + patch.rank() + ", expected 5");
        }
        int dim = (int) patch.dim(0), inDim = (int) patch.dim(1);
        int pt = (int) patch.dim(2), ph = (int) patch.dim(3), pw = (int) patch.dim(4);
        int layers = 0;
        while (ck.contains("blocks." + layers + ".modulation")) layers++;
        if (layers == 0) throw new CheckpointException(ck.path() + ": no 'blocks.0.modulation' (not a Wan DiT checkpoint?)");
        int ffn = (int) ck.get("blocks.0.ffn.0.weight").dim(0);
        int headOut = (int) ck.get("head.head.weight").dim(0);
        int outDim = headOut / (pt * ph * pw);
        int textDim = (int) ck.get("text_embedding.0.weight").dim(1);
        int freqDim = (int) ck.get("time_embedding.0.weight").dim(1);
        Tensor audioProj = ck.get("audio_proj.proj.weight");      // [hidden, 4·audioIn]
        int audioHidden = (int) audioProj.dim(0);
        int audioIn = (int) (audioProj.dim(1) / AUDIO_PACK);
        int projs = 0;
        while (ck.contains("audio_cond_projs." + projs + ".weight")) projs++;
        int heads = DEFAULT_HEADS;
        double eps = DEFAULT_EPS, theta = DEFAULT_THETA;
        if (json != null) {
            if (json.get("num_heads") instanceof Number n) heads = n.intValue();
            if (json.get("eps") instanceof Number n) eps = n.doubleValue();
            if (json.get("rope_theta") instanceof Number n) theta = n.doubleValue();
        }
        return new DitConfig(dim, ffn, layers, heads, inDim, outDim, pt, ph, pw, textDim, freqDim,
                audioIn, AUDIO_PACK, audioHidden, projs, eps, theta);
    }
}
