using System.Globalization;
using System.Numerics;
using System.Text;
using System.Xml.Linq;
using MemGate.Memory;

namespace MemGate.Devices;

/// <summary>
/// Draws a device's memory map as SVG or text. The address axis is logarithmic in region size and
/// broken at gaps, so a 16-byte register block and 2 GiB of RAM are both visible and labelled.
/// </summary>
/// <remarks>
/// Each address space is one column, high addresses on top as datasheets draw them. A band's height
/// grows with log2 of its size; a gap between regions is a short zig-zag band that states its size.
/// Every band carries its name, range, size, permissions and type; colours follow the type.
/// </remarks>
public static class DeviceMapPicture
{
    private const int ColumnWidth = 620;
    private const int BandX = 150;
    private const int BandWidth = 170;
    private const int GapHeight = 16;
    private const int Top = 64;

    /// <summary>Fill colour per region type (a colour-blind-safe palette).</summary>
    public static string ColorOf(DeviceRegionType type) => type switch
    {
        DeviceRegionType.Ram => "#4e79a7",
        DeviceRegionType.Flash => "#f28e2b",
        DeviceRegionType.Rom => "#e15759",
        DeviceRegionType.Mmio => "#76b7b2",
        DeviceRegionType.Storage => "#59a14f",
        DeviceRegionType.Alias => "#edc948",
        _ => "#b07aa1",
    };

    /// <summary>The band height for a region of <paramref name="size"/> bytes: 18 px for up to 16 bytes, 6 px more per doubling.</summary>
    public static int BandHeight(ulong size) => 18 + 6 * Math.Max(0, BitOperations.Log2(Math.Max(size, 1)) - 4);

    /// <summary>The SVG document.</summary>
    public static string ToSvg(DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(device);
        XNamespace svg = "http://www.w3.org/2000/svg";
        var columns = device.Spaces.Select(s => Layout(device, s.Name)).ToList();
        int height = Top + columns.Select(c => c.Sum(x => x.Height)).DefaultIfEmpty(0).Max() + 80;
        int width = Math.Max(1, columns.Count) * ColumnWidth + 20;
        var root = new XElement(svg + "svg",
            new XAttribute("width", width), new XAttribute("height", height),
            new XAttribute("viewBox", $"0 0 {width} {height}"),
            new XAttribute("font-family", "DejaVu Sans Mono, monospace"), new XAttribute("font-size", 11),
            new XElement(svg + "title", $"{device.Name} memory map"),
            new XElement(svg + "rect", new XAttribute("width", width), new XAttribute("height", height), new XAttribute("fill", "white")),
            Text(svg, 10, 22, $"{device.Name} memory map", 16, "bold"),
            Text(svg, 10, 42, "band height grows with log2(size); zig-zags are gaps (not to scale)", 10, null, "#666"));

        for (int c = 0; c < columns.Count; c++)
        {
            int x0 = 10 + c * ColumnWidth;
            var space = device.Spaces[c];
            root.Add(Text(svg, x0, Top - 6, $"space '{space.Name}' ({space.AddressWidth}-bit)", 12, "bold"));
            int y = Top;
            foreach (var band in columns[c])
            {
                if (band.Region is { } r)
                {
                    root.Add(new XElement(svg + "g", new XAttribute("class", "region"), new XAttribute("data-name", r.Name),
                        new XElement(svg + "rect",
                            new XAttribute("x", x0 + BandX), new XAttribute("y", y), new XAttribute("width", BandWidth), new XAttribute("height", band.Height),
                            new XAttribute("fill", ColorOf(r.Type)), new XAttribute("stroke", "#333"), new XAttribute("stroke-width", 1)),
                        // Small bands have room for one line: the range; larger ones show the last address at the top, the first at the bottom.
                        band.Height < 34
                            ? Text(svg, x0 + BandX - 6, y + band.Height / 2 + 4, $"{space.Format(r.Start)}-{space.Format(r.Last)[2..]}", 9, null, "#333", "end")
                            : new XElement(svg + "g",
                                Text(svg, x0 + BandX - 6, y + 10, space.Format(r.Last), 10, null, "#333", "end"),
                                Text(svg, x0 + BandX - 6, y + band.Height - 2, space.Format(r.Start), 10, null, "#333", "end")),
                        Text(svg, x0 + BandX + BandWidth / 2, y + band.Height / 2 + 4, r.Name, 11, "bold", "#000", "middle"),
                        Text(svg, x0 + BandX + BandWidth + 8, y + band.Height / 2 + 4,
                            $"{ByteSize.Exact(r.Size)}  {PermissionsText.ToRwx(r.Permissions)}  {Describe(r)}", 10, null, "#222")));
                }
                else
                {
                    // A zig-zag across the band column marks the break in the axis.
                    var points = new StringBuilder();
                    for (int i = 0; i <= 10; i++)
                    {
                        points.Append(CultureInfo.InvariantCulture, $"{x0 + BandX + i * BandWidth / 10},{y + (i % 2 == 0 ? 4 : GapHeight - 4)} ");
                    }
                    root.Add(new XElement(svg + "g", new XAttribute("class", "gap"),
                        new XElement(svg + "polyline", new XAttribute("points", points.ToString().Trim()),
                            new XAttribute("fill", "none"), new XAttribute("stroke", "#999")),
                        Text(svg, x0 + BandX + BandWidth + 8, y + GapHeight / 2 + 4, $"gap {ByteSize.Human(band.Size)}", 9, null, "#999")));
                }
                y += band.Height;
            }
        }

        int legendY = height - 30;
        int lx = 10;
        foreach (var type in Enum.GetValues<DeviceRegionType>())
        {
            root.Add(new XElement(svg + "rect", new XAttribute("x", lx), new XAttribute("y", legendY), new XAttribute("width", 12),
                new XAttribute("height", 12), new XAttribute("fill", ColorOf(type)), new XAttribute("stroke", "#333")));
            root.Add(Text(svg, lx + 16, legendY + 10, type.ToString().ToLowerInvariant(), 10, null, "#222"));
            lx += 75;
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).ToString();
    }

    /// <summary>The map as text: one line per region, high addresses first, with a bar of log2(size).</summary>
    public static string ToText(DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var text = new StringBuilder();
        foreach (var space in device.Spaces)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{device.Name}: space '{space.Name}' ({space.AddressWidth}-bit), high addresses first");
            int nameWidth = Math.Max(4, device.Regions.Where(r => r.Space == space.Name).Select(r => r.Name.Length).DefaultIfEmpty(4).Max());
            int digits = Math.Max(4, (space.AddressWidth + 3) / 4);
            string Address(ulong a) => space.Format(a);
            foreach (var band in Layout(device, space.Name))
            {
                if (band.Region is { } r)
                {
                    int bar = Math.Max(1, BitOperations.Log2(Math.Max(r.Size, 1)) - 2);
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"  {Address(r.Start)} - {Address(r.Last)}  {r.Name.PadRight(nameWidth)} {ByteSize.Exact(r.Size),10}  {PermissionsText.ToRwx(r.Permissions)}  {Describe(r),-26} {new string('#', bar)}");
                }
                else
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {new string(' ', digits + 2)} ~~ {new string(' ', digits + 2)}  (gap of {ByteSize.Human(band.Size)})");
                }
            }
        }
        return text.ToString();
    }

    private static string Describe(DeviceRegion r) =>
        r.Type == DeviceRegionType.Alias ? $"alias of {r.AliasOf}{(r.AliasMode == AliasMode.BitBand ? " (bit-band)" : "")}" : r.Type.ToString().ToLowerInvariant();

    private sealed record Band(DeviceRegion? Region, ulong Size, int Height);

    // High addresses first; a gap band between regions that do not touch.
    private static List<Band> Layout(DeviceDescription device, string space)
    {
        var bands = new List<Band>();
        DeviceRegion? above = null;
        foreach (var r in device.Regions.Where(r => r.Space == space).OrderByDescending(r => r.Start))
        {
            if (above is not null && r.Last + 1 < above.Start)
            {
                bands.Add(new Band(null, above.Start - (r.Last + 1), GapHeight));
            }
            bands.Add(new Band(r, r.Size, BandHeight(r.Size)));
            above = r;
        }
        return bands;
    }

    private static XElement Text(XNamespace svg, int x, int y, string content, int size, string? weight, string fill = "#000", string anchor = "start")
    {
        var element = new XElement(svg + "text", new XAttribute("x", x), new XAttribute("y", y), new XAttribute("font-size", size),
            new XAttribute("fill", fill), new XAttribute("text-anchor", anchor), content);
        if (weight is not null)
        {
            element.Add(new XAttribute("font-weight", weight));
        }
        return element;
    }
}
