namespace MemGate.Devices;

/// <summary>"Did you mean …?" for a name that is not known: the closest known one by edit distance.</summary>
public static class NameSuggestion
{
    /// <summary>The candidate closest to <paramref name="name"/> (case-insensitive), if it is close enough to be a typo; else null.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int distance = Distance(name.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }
        // A third of the name may differ (at least one edit, at most three), else it is not a typo.
        return best is not null && bestDistance <= Math.Clamp(name.Length / 3, 1, 3) ? best : null;
    }

    /// <summary>The sentence to append to an error, or "" when nothing is close.</summary>
    public static string DidYouMean(string name, IEnumerable<string> candidates) =>
        Closest(name, candidates) is { } suggestion ? $" Did you mean '{suggestion}'?" : "";

    // Levenshtein distance with one row.
    private static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            row[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
