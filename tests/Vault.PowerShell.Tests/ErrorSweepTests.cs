using System.Management.Automation;

namespace Vault.PowerShell.Tests;

/// <summary>
/// Every cmdlet the module exports (read from the module, so a cmdlet added later is swept too),
/// driven through its failure paths in a hosted runspace: each parameter set with its mandatory
/// parameters filled from their types, against a vault that is not registered, a damaged one, one
/// the caller holds no role on, and a sound one given a missing secret and paths in a folder that
/// does not exist; with -WhatIf too where the cmdlet takes it. No error may be a .NET exception
/// that escaped (an id starting with <c>System.</c>) or have the category NotSpecified.
/// </summary>
public sealed class ErrorSweepTests : IDisposable
{
    /// <summary>Command lines, one per cmdlet, parameter set and vault; $null values stand for what the sweep cannot make up.</summary>
    private const string Generator = """
        function IsVaultName($command, $parameter) {
            $parameter.Name -eq 'VaultName' -or ($parameter.Name -eq 'Name' -and ($command.Noun -eq 'Vault' -or $parameter.Aliases -contains 'VaultName'))
        }
        function ValueFor($command, $parameter, $vault) {
            $name = $parameter.Name
            $set = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
            if (IsVaultName $command $parameter) { return "'$vault'" }
            if ($name -in 'Path', 'OutputFile', 'InputFile', 'LiteralPath') { return "'/no-such-folder-for-vault/x.file'" }
            if ($set) { return "'$($set.ValidValues[0])'" }
            $type = $parameter.ParameterType
            if ($type -eq [string]) { return "'nope'" }
            if ($type -eq [string[]]) { return "'nope'" }
            if ($type -eq [securestring]) { return "(ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force)" }
            if ($type -in [int], [long]) { return '30' }
            if ($type -eq [datetime]) { return "'2030-01-01'" }
            if ($type -eq [timespan]) { return "'1.00:00:00'" }
            if ($type -eq [hashtable] -or $type -eq [System.Collections.IDictionary]) { return "@{ a = 'b' }" }
            if ($type -eq [object] -or $type -eq [psobject]) { return "'nope'" }
            if ($type -eq [guid]) { return "'$([guid]::NewGuid())'" }
            if ($type -eq [switch]) { return $null }
            if ($type.IsEnum) { return "'$([enum]::GetNames($type)[0])'" }
            return '<unknown>'
        }
        foreach ($command in (Get-Module Vault).ExportedCmdlets.Values | Sort-Object Name) {
            $shouldProcess = $command.Parameters.ContainsKey('WhatIf')
            foreach ($set in $command.ParameterSets) {
                foreach ($vault in 'no-such-vault', 'dmg-vault', 'denied-vault', 'ok-vault') {
                    $arguments = foreach ($parameter in $set.Parameters) {
                        if (($parameter.IsMandatory -or (IsVaultName $command $parameter)) -and $parameter.Name -notin [System.Management.Automation.Cmdlet]::CommonParameters) {
                            $value = ValueFor $command $parameter $vault
                            if ($null -ne $value) { "-$($parameter.Name) $value" }
                        }
                    }
                    if ($arguments -match '<unknown>') { continue }
                    $line = (@($command.Name) + @($arguments)) -join ' '
                    if ($shouldProcess) { "$line -WhatIf"; "$line -Confirm:`$false" } else { $line }
                }
            }
        }
        """;

    private readonly VaultShell shell = new();

    public ErrorSweepTests()
    {
        // Made by another process, which closes its files: one sound vault, one to damage, one this user holds no role on.
        var made = PwshProcess.Command(shell.Home, """
            New-Vault ok-vault | Out-Null; Set-VaultSecret ok-vault db 'v'
            New-Vault dmg-vault | Out-Null; 1..30 | ForEach-Object { Set-VaultSecret dmg-vault "s$_" ('x' * 2000) }
            New-Vault denied-vault | Out-Null; Set-VaultSecret denied-vault db 'v'
            $me = Get-VaultContext
            New-VaultRoleAssignment denied-vault -RoleDefinitionName 'Vault Administrator' -PrincipalId uid:99999 | Out-Null
            Get-VaultRoleAssignment denied-vault -PrincipalName $me.PrincipalId | Remove-VaultRoleAssignment -Force
            """);
        Assert.True(made.ExitCode == 0 && made.Stderr.Length == 0, made.Stderr + made.Stdout);
        var damaged = Path.Combine(shell.Home, "vaults", "dmg-vault.vault");
        var noise = new byte[new FileInfo(damaged).Length - (3 * 4096)];
        new Random(8).NextBytes(noise);
        using var stream = new FileStream(damaged, FileMode.Open, FileAccess.Write);
        stream.Position = 2 * 4096;
        stream.Write(noise);
    }

    public void Dispose() => shell.Dispose();

    [Fact]
    public void NoCmdletFailsWithADotNetExceptionOrAnUnspecifiedCategory()
    {
        var lines = shell.Run(Generator).Succeeded().Output.Select(o => o.ToString()).ToList();
        var cmdlets = shell.Run("(Get-Module Vault).ExportedCmdlets.Keys").Succeeded().Output.Select(o => o.ToString()).ToList();
        Assert.True(cmdlets.Count >= 34, $"only {cmdlets.Count} cmdlets are exported");
        // Paths, secrets and bad arguments the generated lines do not reach.
        lines.AddRange([
            "Get-VaultSecret ok-vault nope",
            "Get-VaultSecret ok-vault 'bad name!'",
            "Get-VaultSecret ok-vault -ExpiringWithin '-1.00:00:00'",
            "Restore-VaultSecret ok-vault -InputFile '/no-such-folder-for-vault/x.file'",
            $"Restore-VaultSecret ok-vault -InputFile '{Path.Combine(shell.Home, "vaults.json")}'",
            "Import-VaultKeyring ok-vault -InputFile '/no-such-folder-for-vault/x.file' -Password (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force) -Force",
            "New-VaultRoleDefinition ok-vault -InputFile '/no-such-folder-for-vault/x.json'",
            "Register-Vault -Path '/no-such-folder-for-vault/x.vault'",
            $"Register-Vault -Path '{Path.Combine(shell.Home, "vaults.json")}'",
            "New-Vault -Name 'bad name!'",
            "New-Vault -Name pkcs-vault -KeyProtector Pkcs11 -Pkcs11Library /lib/x86_64-linux-gnu/libc.so.6 -TokenLabel t -Pin (ConvertTo-SecureString 1234 -AsPlainText -Force)",
            "Test-VaultAuditLog ok-vault -ExpectedHead 'not-a-head'",
            "Get-VaultAuditLog ok-vault -Last 0",
            "Update-Vault ok-vault -SoftDeleteRetentionInDays 3",
            "Backup-VaultSecret ok-vault nope -OutputFile (Join-Path $env:VAULT_HOME nope.backup)",
            "Remove-Vault no-such-vault -Force",
        ]);

        // What forgets or deletes a vault runs last, so every other line meets the vault it was made for;
        // a line that removed the sound vault (Remove-Vault -Confirm:$false) has it made again.
        lines = lines.OrderBy(l => l.StartsWith("Unregister-Vault", StringComparison.Ordinal) || l.StartsWith("Remove-Vault ", StringComparison.Ordinal) ? 1 : 0).ToList();
        const string Reset = "Get-Vault no-such-vault -ErrorAction Ignore | Unregister-Vault; if (-not (Get-Vault ok-vault -ErrorAction Ignore)) { $file = Join-Path $env:VAULT_HOME vaults/ok-vault.vault; if (Test-Path $file) { Register-Vault $file -Name ok-vault } else { New-Vault ok-vault | Out-Null; Set-VaultSecret ok-vault db 'v' } }";
        var failed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var records = new List<(string Line, ErrorRecord Error)>();
        foreach (var line in lines)
        {
            var result = shell.Run($"try {{ {line} }} catch {{ $_ }}");
            Assert.True(shell.Run(Reset).Errors.Count == 0, $"the vaults could not be put back after: {line}");
            var errors = result.Errors.Concat(result.Output.Select(o => o?.BaseObject).OfType<ErrorRecord>()).ToList();
            Assert.True(result.Terminating is null, $"{line}: {result.Terminating}");
            foreach (var error in errors)
            {
                records.Add((line, error));
                failed.Add(line.Split(' ')[0]);
            }
        }

        Assert.All(records, r => Assert.False(
            r.Error.FullyQualifiedErrorId.StartsWith("System.", StringComparison.Ordinal),
            $"{r.Line}: {r.Error.FullyQualifiedErrorId}: {r.Error.Exception.Message}"));
        Assert.All(records, r => Assert.True(
            r.Error.CategoryInfo.Category != ErrorCategory.NotSpecified,
            $"{r.Line}: {r.Error.FullyQualifiedErrorId} has the category NotSpecified: {r.Error.Exception.Message}"));

        // The sweep reached every cmdlet that can fail at all (Get-VaultContext reads only this process).
        Assert.Equal([], cmdlets.Except(failed, StringComparer.OrdinalIgnoreCase).Except(["Get-VaultContext"]).Order());
        // And the vaults behind it were what they were meant to be.
        var ids = records.Select(r => r.Error.FullyQualifiedErrorId.Split(',')[0]).ToHashSet();
        Assert.Equal([], new[] { "VaultNotFound", "VaultDamaged", "AccessDenied", "SecretNotFound", "OutputFolderNotFound", "HsmLibraryNotFound", "InvalidExpiringWithin", "NotAVaultFile" }.Except(ids));
    }
}
