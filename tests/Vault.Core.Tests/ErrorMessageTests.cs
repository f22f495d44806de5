namespace Vault.Core.Tests;

/// <summary>Messages that name the cause and the next step, and never a file Vault made for itself.</summary>
public sealed class ErrorMessageTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "vault-errors-" + Guid.NewGuid().ToString("N"));

    public ErrorMessageTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void AFileIntoAMissingFolderIsOutputFolderNotFoundWithoutTheTemporaryName()
    {
        var path = Path.Combine(folder, "missing", "out.bin");
        var ex = Assert.Throws<VaultException>(() => OwnerOnlyFile.WriteAtomically(path, s => s.WriteByte(1)));
        Assert.Equal(("OutputFolderNotFound", VaultErrorKind.NotFound, path), (ex.ErrorId, ex.Kind, ex.Target));
        Assert.DoesNotContain(".tmp", ex.ToString());
        Assert.Null(ex.InnerException);
        Assert.Throws<VaultException>(() => OwnerOnlyFile.RequireFolder(path, "-OutputFile"));
        OwnerOnlyFile.RequireFolder(Path.Combine(folder, "out.bin"), "-OutputFile");
    }

    [Fact]
    public void WhatTheWriterThrowsPassesUnchangedAndLeavesNoFile()
    {
        var path = Path.Combine(folder, "out.bin");
        var thrown = VaultErrors.SecretNotFound("db", "app");
        Assert.Same(thrown, Assert.Throws<VaultException>(() => OwnerOnlyFile.WriteAtomically(path, _ => throw thrown)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public void TheWrongPinMessageSendsDataCommandsToUnlockVault()
    {
        var message = VaultErrors.HsmLoginFailed("token").Message;
        Assert.Contains("Unlock-Vault -Pin", message);
        Assert.Contains("such as Get-VaultSecret, take no -Pin", message);
    }

    [Fact]
    public void AStorageErrorNamesTheVaultOnceItIsKnown()
    {
        var ex = VaultErrors.VaultDamaged("/v/app.vault");
        Assert.Contains("'<vault>'", ex.Message);
        var named = (VaultException)VaultException.Named(ex, "app");
        Assert.Equal(("VaultDamaged", VaultErrorKind.Damaged, "/v/app.vault"), (named.ErrorId, named.Kind, named.Target));
        Assert.Contains("Remove-Vault -Name 'app' -Force", named.Message);
        Assert.Null(named.ForVault);
    }
}
