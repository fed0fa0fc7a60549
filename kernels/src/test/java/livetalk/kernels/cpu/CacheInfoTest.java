package livetalk.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Cache sizes as sysfs spells them, and the block sizes derived from them. */
class CacheInfoTest {
    @Test
    void parsesSysfsSizes() {
        assertEquals(48 << 10, CacheInfo.parseSize("48K"));
        assertEquals(2 << 20, CacheInfo.parseSize("2048K"));
        assertEquals(32 << 20, CacheInfo.parseSize("32M"));
        assertEquals(4096, CacheInfo.parseSize("4096"));
        assertEquals(0, CacheInfo.parseSize("lots"));
        assertEquals(0, CacheInfo.parseSize(""));
    }

    @Test
    void blockSizesAreSaneOnThisMachine() {
        assertTrue(CacheInfo.L1D >= 8 << 10 && CacheInfo.L2 >= CacheInfo.L1D, CacheInfo.L1D + " / " + CacheInfo.L2);
        assertTrue(Gemm.KC >= 64 && Gemm.KC <= 128 && Gemm.KC % 16 == 0, "KC " + Gemm.KC);
        assertTrue(Gemm.MAX_PANELS_PER_TASK >= 1, "NC panels " + Gemm.MAX_PANELS_PER_TASK);
        assertTrue(FlashAttention.group(128) >= 4 && FlashAttention.group(128) <= 24, "group " + FlashAttention.group(128));
        assertTrue(FlashAttention.KB >= 60 && FlashAttention.KB <= 126 && FlashAttention.KB % 6 == 0, "KB " + FlashAttention.KB);
    }

    @Test
    void sysconfGivesACacheSizeOrNothing() {
        // Sizes of a real cache where glibc answers (it asks CPUID), 0 where it cannot: never -1 or junk.
        int l1 = CacheInfo.sysconf(CacheInfo.SC_LEVEL1_DCACHE_SIZE), l2 = CacheInfo.sysconf(CacheInfo.SC_LEVEL2_CACHE_SIZE);
        if (l1 > 0) assertTrue(l1 >= 16 << 10 && l1 <= 256 << 10, "L1d from sysconf " + l1);
        if (l2 > 0) assertTrue(l2 >= l1 && l2 <= 64 << 20, "L2 from sysconf " + l2 + " against L1d " + l1);
        assertEquals(0, CacheInfo.sysconf(-1), "a name sysconf does not know gives 0, not -1");
    }

    @Test
    void fitRoundsDownAndClamps() {
        assertEquals(128, CacheInfo.fit((32 << 10) / 256, 16, 64, 512));   // the AMD machines' L1d: the constant tuned there
        assertEquals(192, CacheInfo.fit((48 << 10) / 256, 16, 64, 512));   // the Intel machines' L1d
        assertEquals(640, CacheInfo.fit((1 << 20) / 2 / 768, 64, 64, 4096));
        assertEquals(64, CacheInfo.fit(3, 16, 64, 512));
        assertEquals(512, CacheInfo.fit(100_000, 16, 64, 512));
    }
}
