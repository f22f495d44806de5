namespace Vault.Bench;

/// <summary>
/// The machine's load average: on a 2-core machine a build or a test run beside the bench doubles
/// its figures, so every run reports the load it ran under.
/// </summary>
internal static class MachineLoad
{
    /// <summary>The 1-minute load average, or "n/a" where the OS has no /proc/loadavg.</summary>
    public static string OneMinute()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }
}
