package livetalk.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptEmbeddingCacheTest {
    @TempDir
    Path tmp;

    @Test
    void storesReadsAndInvalidates() throws Exception {
        Path enc = tmp.resolve("encoder.pth");
        Files.write(enc, new byte[]{1, 2, 3});
        PromptEmbeddingCache cache = new PromptEmbeddingCache(tmp.resolve("cache"));
        float[] e = new float[4 * 3];
        for (int i = 0; i < 6; i++) e[i] = i + 0.5f;
        AtomicInteger computed = new AtomicInteger();
        PromptEmbeddingCache.Entry first = cache.getOrCompute("a café prompt", enc, () -> {
            computed.incrementAndGet();
            return new PromptEmbeddingCache.Entry(e, 4, 3, 2);
        });
        PromptEmbeddingCache.Entry again = cache.getOrCompute("a café prompt", enc, () -> {
            computed.incrementAndGet();
            return null;
        });
        assertEquals(1, computed.get());
        assertArrayEquals(first.embeds(), again.embeds());
        assertEquals(2, again.length());
        assertEquals(4, again.seqLen());
        assertEquals(3, again.dim());
        assertTrue(cache.get("another prompt", enc).isEmpty());

        // A changed encoder file (size or mtime) gives another key.
        Path before = cache.fileFor("a café prompt", enc);
        Files.write(enc, new byte[]{1, 2, 3, 4});
        Files.setLastModifiedTime(enc, FileTime.fromMillis(123456789L));
        assertNotEquals(before, cache.fileFor("a café prompt", enc));
        assertTrue(cache.get("a café prompt", enc).isEmpty());

        // A corrupt entry is a miss, then replaced.
        Files.write(cache.fileFor("x", enc), new byte[]{9, 9, 9});
        assertTrue(cache.get("x", enc).isEmpty());
        cache.put("x", enc, new PromptEmbeddingCache.Entry(e, 4, 3, 4));
        assertEquals(4, cache.get("x", enc).orElseThrow().length());
    }
}
