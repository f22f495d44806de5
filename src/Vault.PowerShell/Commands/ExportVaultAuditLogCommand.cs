using System.Globalization;
using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Export-VaultAuditLog: streams a vault's audit records, oldest first, to a file a SIEM takes:
/// JSON lines in Azure Key Vault's AuditEvent shape, or CSV. One record in memory at a time.
/// </summary>
[Cmdlet(VerbsData.Export, "VaultAuditLog", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportVaultAuditLogCommand : VaultCmdlet
{
    /// <summary>Progress is reported once per this many records.</summary>
    internal const int ProgressEvery = 1000;

    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The file to write.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [Alias("OutputFile")]
    public string Path { get; set; } = string.Empty;

    /// <summary>JsonLines (the default) or Csv.</summary>
    [Parameter]
    [ValidateSet("JsonLines", "Csv")]
    public string Format { get; set; } = "JsonLines";

    /// <summary>Only records from this time on.</summary>
    [Parameter]
    public DateTime Start { get; set; }

    /// <summary>Only records up to this time.</summary>
    [Parameter]
    public DateTime End { get; set; }

    /// <summary>Overwrites the file if it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenVault(VaultName);
        var path = ResolvePath(Path);
        var format = Enum.Parse<AuditExportFormat>(Format, ignoreCase: true);
        if (!OutputFolderExists(path, "-Path"))
        {
            return;
        }

        if (!ShouldProcess(vault.VaultName, $"Export the audit log as {format} to '{path}'"))
        {
            return;
        }

        if (!CanWriteOutput(path, Force, "-Path"))
        {
            return;
        }

        var records = vault.GetAuditLog(AuditQueries.From(MyInvocation.BoundParameters, Start, End) with { OldestFirst = true }, export: true);
        var activity = $"Exporting the audit log of vault '{vault.VaultName}'";
        long written = 0;
        WriteFile(path, stream =>
        {
            using var writer = new AuditEventWriter(stream, format);
            foreach (var record in records)
            {
                writer.Write(record);
                if (writer.Count % ProgressEvery == 0)
                {
                    WriteProgress(new ProgressRecord(0, activity, string.Create(CultureInfo.InvariantCulture, $"{writer.Count:N0} records written")));
                }
            }

            writer.Flush();
            written = writer.Count;
        });
        WriteProgress(new ProgressRecord(0, activity, "Done") { RecordType = ProgressRecordType.Completed });
        WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Exported {written} audit record(s) of vault '{vault.VaultName}' to '{path}'."));
    });
}
