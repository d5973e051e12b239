using MemGate.Devices;

namespace MemGate.Peripherals;

/// <summary>
/// One <c>[[peripherals]]</c> entry as its model reads it: typed access to its settings, where every
/// value that cannot be used becomes an error naming the entry's field and its place in the file.
/// </summary>
public sealed class PeripheralSettings
{
    private readonly int _index;
    private readonly List<DeviceDiagnostic> _problems;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    internal PeripheralSettings(DevicePeripheral entry, int index, PeripheralModelInfo model, List<DeviceDiagnostic> problems)
    {
        Entry = entry;
        Model = model;
        _index = index;
        _problems = problems;
    }

    /// <summary>The entry as the file has it.</summary>
    public DevicePeripheral Entry { get; }

    /// <summary>The model it names.</summary>
    public PeripheralModelInfo Model { get; }

    /// <summary>The peripheral's name.</summary>
    public string Name => Entry.Name;

    /// <summary>Guest address of its registers.</summary>
    public ulong Base => Entry.Base;

    /// <summary>The interrupt line number <paramref name="index"/> of its irq list, or null when the file connects none.</summary>
    public int? Irq(int index = 0) => index < Entry.Irqs.Count ? Entry.Irqs[index] : null;

    /// <summary>A whole-number setting (decimal, hex "0x…" or a size such as "4KB"), within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public ulong Number(string key, ulong fallback, ulong min = 0, ulong max = ulong.MaxValue)
    {
        if (Text(key) is not { } text)
        {
            return fallback;
        }
        if (!ByteSize.TryParse(text, out ulong value, out _) || value < min || value > max)
        {
            Error(key, $"\"{text}\" is not a number from {min} to {max}");
            return fallback;
        }
        return value;
    }

    /// <summary>A true/false setting.</summary>
    public bool Flag(string key, bool fallback)
    {
        switch (Text(key))
        {
            case null: return fallback;
            case "true" or "True": return true;
            case "false" or "False": return false;
            case var other:
                Error(key, $"\"{other}\" must be true or false");
                return fallback;
        }
    }

    /// <summary>A setting that is one of <paramref name="choices"/> (any case).</summary>
    public string Choice(string key, string fallback, params string[] choices)
    {
        if (Text(key) is not { } text)
        {
            return fallback;
        }
        string? match = choices.FirstOrDefault(c => c.Equals(text, StringComparison.OrdinalIgnoreCase));
        if (match is null)
        {
            Error(key, $"\"{text}\" must be one of {string.Join(", ", choices)}");
            return fallback;
        }
        return match;
    }

    /// <summary>Reports a problem with a setting (or with the entry, for key ""), located in the file.</summary>
    public void Error(string key, string message) =>
        _problems.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, key.Length == 0 ? $"peripherals[{_index}]" : $"peripherals[{_index}].{key}",
            $"{Name} ({Model.Model}): {message}") { Location = Locate(key) });

    /// <summary>Reports settings the model does not take.</summary>
    internal void CheckUnread()
    {
        foreach (var key in Entry.Parameters.Keys.Where(k => !_read.Contains(k)))
        {
            string known = Model.Parameters.Count == 0 ? "it takes none" : $"known: {string.Join(", ", Model.Parameters.Select(p => p.Name))}";
            Error(key, $"model '{Model.Model}' has no setting '{key}' ({known})");
        }
    }

    internal SourceLocation? Locate(string key) =>
        Entry.Locations.TryGetValue(key, out var at) ? at : Entry.Locations.TryGetValue("", out var entry) ? entry : null;

    private string? Text(string key)
    {
        _read.Add(key);
        return Entry.Parameters.TryGetValue(key, out var text) ? text : null;
    }
}
