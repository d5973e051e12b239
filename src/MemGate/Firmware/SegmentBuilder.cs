namespace MemGate.Firmware;

/// <summary>Collects data records into segments, merging each record that continues the previous one.</summary>
internal sealed class SegmentBuilder
{
    private readonly List<FirmwareSegment> _done = [];
    private ulong _start;
    private readonly List<byte> _bytes = [];
    private string _origin = "";
    private string _lastOrigin = "";   // the record that ended the segment: a merged block's origin names both ends

    public void Add(ulong address, ReadOnlySpan<byte> data, string origin)
    {
        if (data.IsEmpty)
        {
            return;
        }
        if (_bytes.Count == 0 || address != _start + (ulong)_bytes.Count)
        {
            Flush();
            _start = address;
            _origin = origin;
        }
        _bytes.AddRange(data);
        _lastOrigin = origin;
    }

    public List<FirmwareSegment> Segments
    {
        get
        {
            Flush();
            return _done;
        }
    }

    private void Flush()
    {
        if (_bytes.Count > 0)
        {
            _done.Add(new FirmwareSegment(_start, [.. _bytes], _lastOrigin == _origin ? $"data from {_origin}" : $"data from {_origin} to {_lastOrigin}"));
            _bytes.Clear();
        }
    }
}
