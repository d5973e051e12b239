namespace MemGate.Devices.Config;

/// <summary>The file formats a device description can be written in; all share one schema.</summary>
public enum DeviceConfigFormat
{
    /// <summary>TOML, the seed's format.</summary>
    Toml,

    /// <summary>YAML.</summary>
    Yaml,

    /// <summary>JSON.</summary>
    Json,
}
