using System.Diagnostics;
using System.Globalization;

namespace S3Fanout.Bench;

/// <summary>CPU seconds of the emulator, of this process and of the whole machine, read from /proc around each stage.</summary>
internal sealed class CpuMeter(int emulatorPid)
{
    private const double TicksPerSecond = 100.0; // USER_HZ on Linux

    public readonly record struct Reading(double Emulator, double Self, double MachineBusy, double MachineTotal);

    public Reading Read() => new(ProcessCpu(emulatorPid), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, MachineBusy(out var total), total);

    /// <summary>user + system seconds of <paramref name="pid"/> (0 or gone: 0).</summary>
    public static double ProcessCpu(int pid)
    {
        if (pid <= 0)
        {
            return 0;
        }
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Busy CPU seconds of all cores since boot (everything but idle and iowait), and the total.</summary>
    private static double MachineBusy(out double total)
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var sum = v.Sum();
        total = sum / TicksPerSecond;
        return (sum - v[3] - v[4]) / TicksPerSecond;
    }
}

/// <summary>One measurement: wall time plus where the CPU went while it ran.</summary>
internal sealed record Sample(double WallS, double ClientCpuS, double EmulatorCpuS, double MachineBusyS, double MachineTotalS, long PeakRssKb)
{
    public double MiBPerSecond(long bytes) => bytes / 1048576.0 / WallS;

    /// <summary>CPU used by neither the measured client nor the emulator (other developers, the driver, the kernel's own work).</summary>
    public double OtherCpuS => Math.Max(0, MachineBusyS - ClientCpuS - EmulatorCpuS);

    public Dictionary<string, object> ToJson(long? bytes = null)
    {
        var d = new Dictionary<string, object>
        {
            ["wall_s"] = Math.Round(WallS, 3),
            ["client_cpu_s"] = Math.Round(ClientCpuS, 2),
            ["emulator_cpu_s"] = Math.Round(EmulatorCpuS, 2),
            ["other_cpu_s"] = Math.Round(OtherCpuS, 2),
            ["machine_cpu_capacity_s"] = Math.Round(MachineTotalS, 2),
        };
        if (PeakRssKb > 0)
        {
            d["peak_rss_mib"] = Math.Round(PeakRssKb / 1024.0, 1);
        }
        if (bytes is { } b)
        {
            d["mib_per_s"] = Math.Round(MiBPerSecond(b), 1);
        }
        return d;
    }
}
