using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Cli.Commands;

/// <summary>Resolves a command's optional FIRMWARE argument against its device: the image, or none when the device's regions load the firmware from their files.</summary>
internal static class FirmwareSource
{
    /// <summary>Loads the image (a raw binary at <paramref name="rawAddress"/>) and checks that it runs on <paramref name="device"/>.</summary>
    /// <exception cref="CommandUsageException">Neither an image nor a device that loads one.</exception>
    /// <exception cref="FirmwareCompatibilityException">The image is for another CPU.</exception>
    public static FirmwareImage? Load(string? path, DeviceDescription device, ulong? rawAddress = null)
    {
        FirmwareMachine.CheckRunnable(device);   // a device no machine runs says so before its image is judged
        var image = path is not null ? FirmwareReader.Load(path, rawAddress: rawAddress) : null;
        if (image is null && !device.Regions.Any(r => r.InitFile is not null))
        {
            throw new CommandUsageException($"No firmware: give an image, or a device whose regions load one from their files (device '{device.Name}' has none).");
        }
        // Before any machine exists: an image for another CPU would otherwise run a few wrong instructions and "exit".
        image?.CheckRunsOn(device);
        return image;
    }
}
