using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Vault.Bench;

/// <summary>
/// A PowerShell 7.6 runspace in this process (<c>InitialSessionState.CreateDefault2()</c>) that
/// imported out/Vault/Vault.psd1. Scripts run on it one at a time; any error stops the bench.
/// </summary>
internal sealed class HostedRunspace : IDisposable
{
    private readonly Runspace runspace;

    public HostedRunspace()
    {
        runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        Run($"Import-Module '{BenchRepo.Manifest}'");
    }

    public Collection<PSObject> Run(string script, params (string Name, object Value)[] parameters)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript(script);
        foreach (var (name, value) in parameters)
        {
            ps.AddParameter(name, value);
        }

        var output = ps.Invoke();
        if (ps.HadErrors)
        {
            throw new InvalidOperationException("The bench script failed: " + string.Join(" | ", ps.Streams.Error.Select(e => e.FullyQualifiedErrorId + ": " + e)));
        }

        return output;
    }

    public void Dispose() => runspace.Dispose();
}
