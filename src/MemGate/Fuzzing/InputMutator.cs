namespace MemGate.Fuzzing;

/// <summary>
/// AFL's "havoc" stage in small: a stack of random edits (bit flips, interesting values, arithmetic,
/// random bytes, block deletion, duplication and insertion, splicing another input in) on a copy of an input.
/// </summary>
public sealed class InputMutator(int seed, int maxLength = 4096)
{
    private static readonly byte[] Interesting = [0, 1, 0x7F, 0x80, 0xFF, 0x10, 0x20, 0x40, 0x64, 0x0A, 0x0D];
    private readonly Random _random = new(seed);

    /// <summary>A mutated copy of <paramref name="input"/>; <paramref name="other"/> (another input of the corpus), when given, may be spliced in.</summary>
    public byte[] Mutate(ReadOnlySpan<byte> input, ReadOnlySpan<byte> other = default)
    {
        var data = new List<byte>(input.Length + 16);
        data.AddRange(input);
        int edits = 1 << _random.Next(1, 5);
        for (int i = 0; i < edits; i++)
        {
            if (data.Count == 0)
            {
                data.Add((byte)_random.Next(256));
                continue;
            }
            int at = _random.Next(data.Count);
            switch (_random.Next(9))
            {
                case 0:
                    data[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    data[at] = Interesting[_random.Next(Interesting.Length)];
                    break;
                case 2:
                    data[at] = (byte)(data[at] + _random.Next(-16, 17));
                    break;
                case 3:
                case 4:
                    data[at] = (byte)_random.Next(256);   // the most useful edit for byte compares: weighted double
                    break;
                case 5 when data.Count > 1:
                    data.RemoveRange(at, Math.Min(_random.Next(1, 9), data.Count - at));
                    break;
                case 6 when data.Count < maxLength:
                    {
                        int length = Math.Min(_random.Next(1, 9), data.Count - at);
                        data.InsertRange(_random.Next(data.Count + 1), data.GetRange(at, length));
                        break;
                    }
                case 7 when data.Count < maxLength:
                    {
                        var bytes = new byte[_random.Next(1, 9)];
                        _random.NextBytes(bytes);
                        data.InsertRange(at, bytes);
                        break;
                    }
                case 8 when !other.IsEmpty:
                    {
                        int from = _random.Next(other.Length);
                        int length = Math.Min(_random.Next(1, 33), other.Length - from);
                        for (int j = 0; j < length && at + j < data.Count; j++)
                        {
                            data[at + j] = other[from + j];
                        }
                        break;
                    }
            }
        }
        if (data.Count > maxLength)
        {
            data.RemoveRange(maxLength, data.Count - maxLength);
        }
        return [.. data];
    }
}
