using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Invoke-VaultKeyRotation: a new data key (a keyring term that new writes use while old terms still
/// decrypt) or a new root key (the keyring re-wrapped), and optionally every version re-encrypted
/// onto the newest term, resumably.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "VaultKeyRotation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = Rotate)]
[OutputType(typeof(VaultInfo))]
public sealed class InvokeVaultKeyRotationCommand : VaultCmdlet
{
    private const string Rotate = "Rotate";
    private const string Resume = "Resume";
    private readonly CancellationTokenSource stopping = new();

    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary><c>DataKey</c> (the default): a new keyring term. <c>RootKey</c>: a new root key in the same protector.</summary>
    [Parameter(ParameterSetName = Rotate, Position = 1)]
    [ValidateSet("DataKey", "RootKey")]
    public string Target { get; set; } = "DataKey";

    /// <summary>After rotating, re-encrypts every version onto the newest term.</summary>
    [Parameter(ParameterSetName = Rotate)]
    public SwitchParameter ReencryptSecrets { get; set; }

    /// <summary>Re-encrypts onto the newest term without rotating: finishes an interrupted -ReencryptSecrets.</summary>
    [Parameter(ParameterSetName = Resume, Mandatory = true)]
    public SwitchParameter ResumeReencryption { get; set; }

    /// <summary>Rotates without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes the vault to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenVault(VaultName);
        var action = ResumeReencryption
            ? "Re-encrypt every secret version onto the newest keyring term"
            : Target == "RootKey"
                ? "Rotate the root key (re-wrap the keyring under a new root key)" + (ReencryptSecrets ? " and re-encrypt every secret version" : string.Empty)
                : "Start a new keyring term" + (ReencryptSecrets ? " and re-encrypt every secret version onto it" : string.Empty);
        if (!ShouldProcess(vault.VaultName, action, Force))
        {
            return;
        }

        if (!ResumeReencryption)
        {
            if (Target == "RootKey")
            {
                vault.RotateRootKey();
                WriteVerbose($"Vault '{vault.VaultName}' has a new root key.");
            }
            else
            {
                WriteVerbose($"Vault '{vault.VaultName}' now writes with keyring term {vault.RotateDataKey()}.");
            }
        }

        if (ReencryptSecrets || ResumeReencryption)
        {
            var record = new ProgressRecord(1, $"Re-encrypting vault '{vault.VaultName}'", "Starting");
            var result = vault.ReencryptSecrets(new Reporter(this, record), stopping.Token);
            record.RecordType = ProgressRecordType.Completed;
            WriteProgress(record);
            WriteVerbose($"Re-encrypted {result.Moved} secret version(s) onto the newest keyring term.");
            foreach (var damaged in result.Damaged)
            {
                // Left on its old term, which stays in the keyring: the rest moved on.
                WriteError(ToErrorRecord(damaged));
            }
        }

        if (PassThru)
        {
            WriteObject(Manager.GetVault(vault.VaultName));
        }
    });

    /// <inheritdoc />
    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>Reports on the pipeline thread: the core calls back synchronously between batches.</summary>
    private sealed class Reporter(Cmdlet cmdlet, ProgressRecord record) : IProgress<(long Done, long Total)>
    {
        public void Report((long Done, long Total) value)
        {
            record.StatusDescription = $"{value.Done:N0} of {value.Total:N0} versions";
            record.PercentComplete = value.Total == 0 ? 100 : (int)(value.Done * 100 / value.Total);
            cmdlet.WriteProgress(record);
        }
    }
}
