package livetalk.kernels.cuda;

import livetalk.tensor.Props;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The split-key TMA flash attention (flash_attn_d128_tma_split + flash_combine_d128) under every
 * test of {@link CudaFlashWgmmaTest}, with the keys in 3 ranges wherever they have 3 tiles (2
 * where 2): against the CPU reference with the same bound (each range rounds its softmax weights to
 * bf16 against its own maximum, each off by at most 2^-9 of itself, and the merge is a weighted
 * mean of float32 parts, so every output stays within 2^-9·max|v| of exact plus float32 noise),
 * the bf16 output the float32 one rounded, and the DiT shape against mma.sync and exact rows. Then
 * every other count and the rule's choice on ragged shapes. A class of its own, run in a JVM of
 * its own by the GPU check. Skipped, saying why, off Hopper.
 */
class CudaFlashSplitTest extends CudaFlashWgmmaTest {
    @Override
    FlashKernel kernel() {
        return FlashKernel.TMA;
    }

    @BeforeEach
    void split() {
        if (cuda != null) cuda.useFlashSplits(3);
    }

    @AfterEach
    void unsplit() {
        if (cuda != null) cuda.useFlashSplits(1);
    }

    @Test
    void everyCountAndTheRuleMatchTheReference() {
        org.junit.jupiter.api.Assumptions.assumeTrue(cuda.flashWgmmaUnavailableReason() == null, "TMA flash attention not available");
        for (int splits : new int[]{0, 2, 4, 8}) {
            cuda.useFlashSplits(splits);
            Props.forAll("cuda flash split " + splits, 6, 320 + splits, rnd -> {
                int heads = 1 + rnd.nextInt(3), nq = 1 + rnd.nextInt(300), nk = 1 + rnd.nextInt(2400);
                int ld = heads * 128 + 8 * rnd.nextInt(3), ldo = heads * 128 + rnd.nextInt(5);
                checkRaw(rnd, nq, nk, heads, ld, ldo, 4 * Math.sqrt(128));
            });
        }
    }
}
