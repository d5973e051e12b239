using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using CsCheck;
using MemGate.Snapshots;

namespace MemGate.Tests.Snapshots;

public sealed unsafe class PageCopyTests
{
    // Both streaming loops (the machine takes the wider one where it has AVX) copy every byte of whole pages, and
    // nothing past them.
    [SkippableTheory]
    [InlineData(128)]
    [InlineData(256)]
    public void Streaming_copies_every_byte_of_the_pages_and_nothing_else(int width)
    {
        Skip.IfNot(width == 128 ? Sse2.IsSupported : Avx.IsSupported, $"this CPU has no {width}-bit streaming stores");
        Gen.Select(Gen.Int[1, 4], Gen.Byte.Array[4096]).Sample((pages, pattern) =>
        {
            nuint length = (nuint)pages * 4096;
            byte* from = (byte*)NativeMemory.AlignedAlloc(length, 4096), to = (byte*)NativeMemory.AlignedAlloc(length + 4096, 4096);
            try
            {
                for (int page = 0; page < pages; page++)
                {
                    pattern.CopyTo(new Span<byte>(from + page * 4096, 4096));
                    new Span<byte>(from + page * 4096, 4096)[page] ^= 0xFF;   // pages differ
                }
                new Span<byte>(to, (int)length + 4096).Fill(0xA5);
                if (width == 128)
                {
                    PageCopy.Stream128((nint)from, (nint)to, length);
                }
                else
                {
                    PageCopy.Stream256((nint)from, (nint)to, length);
                }
                PageCopy.Finish(streaming: true);
                Assert.True(new ReadOnlySpan<byte>(from, (int)length).SequenceEqual(new ReadOnlySpan<byte>(to, (int)length)));
                Assert.True(new ReadOnlySpan<byte>(to + length, 4096).IndexOfAnyExcept((byte)0xA5) < 0);
            }
            finally
            {
                NativeMemory.AlignedFree(from);
                NativeMemory.AlignedFree(to);
            }
        }, iter: 50);
    }

    // The last-level cache is the largest size sysfs lists; a cache without a readable size is passed over, and a folder
    // without any gives none (then restores never stream).
    [Fact]
    public void The_last_level_cache_is_the_largest_listed_size()
    {
        string root = Directory.CreateTempSubdirectory("memgate-caches").FullName;
        try
        {
            Assert.Null(PageCopy.LastLevelCacheBytes(Path.Combine(root, "missing")));
            Assert.Null(PageCopy.LastLevelCacheBytes(root));
            foreach (var (index, size) in new[] { ("index0", "48K\n"), ("index2", "1024K\n"), ("index3", "32M\n"), ("index4", "weird\n") })
            {
                Directory.CreateDirectory(Path.Combine(root, index));
                File.WriteAllText(Path.Combine(root, index, "size"), size);
            }
            Directory.CreateDirectory(Path.Combine(root, "index1"));   // no size file
            Assert.Equal(32UL << 20, PageCopy.LastLevelCacheBytes(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
