package livetalk.testkit;

import livetalk.model.dit.DitConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import livetalk.io.MemoryCheckpoint;
import livetalk.tensor.DType;
import org.junit.jupiter.api.Test;

class DitWeightsTest {

    /**
     * The official loader picks the config by md5 over the sorted "key:d0_d1_.." and bare-key list
     * (docs/model.md#dit-constants); the released 1.3B file has hash 2bf9513c7a3e908015f11a800fc9b820 and 857 keys.
     */
    @Test
    void fullSizeKeyListMatchesTheOfficialHash() throws Exception {
        Map<String, long[]> shapes = DitWeights.shapes(DitWeights.official1_3B());
        assertEquals(857, shapes.size());
        List<String> keys = new ArrayList<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            List<String> dims = new ArrayList<>();
            for (long s : e.getValue()) dims.add(Long.toString(s));
            keys.add(e.getKey() + ":" + String.join("_", dims));
            keys.add(e.getKey());
        }
        Collections.sort(keys);
        byte[] md5 = MessageDigest.getInstance("MD5").digest(String.join(",", keys).getBytes(StandardCharsets.UTF_8));
        assertEquals("2bf9513c7a3e908015f11a800fc9b820", HexFormat.of().formatHex(md5));
        long params = 0;
        for (long[] s : shapes.values()) params += livetalk.tensor.Tensor.numel(s);
        assertEquals(1_421_187_232L, params);
    }

    @Test
    void configIsInferredFromShapes() {
        DitConfig c = new DitConfig(64, 96, 5, 2, 33, 16, 1, 2, 2, 24, 32, 12, 4, 8, 2, 1e-6, 10000);
        MemoryCheckpoint ck = DitWeights.checkpoint(c, 7, DType.BF16);
        DitConfig inferred = DitConfig.infer(ck, Map.of("num_heads", 2));
        assertEquals(c, inferred);
        // without a config the official defaults fill in what shapes cannot tell
        DitConfig full = DitWeights.official1_3B();
        assertEquals(12, full.numHeads());
        assertEquals(DitConfig.DEFAULT_HEADS, DitConfig.infer(DitWeights.checkpoint(
                new DitConfig(48, 64, 1, 12, 33, 16, 1, 2, 2, 8, 16, 4, 4, 4, 0, 1e-6, 10000), 1, DType.F32), null).numHeads());
    }
}
