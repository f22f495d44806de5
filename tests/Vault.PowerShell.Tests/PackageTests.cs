using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace Vault.PowerShell.Tests;

/// <summary>
/// build.ps1 -Task Package makes a nupkg shaped as PSResourceGet publishes a module. The test packs
/// the layout of its own configuration (out/Debug/Vault under dotnet test), never out/Vault.
/// </summary>
public sealed class PackageTests
{
    [Fact]
    public void ThePackageHoldsTheModuleAtItsRootWithPowerShellGetTags()
    {
        var output = Path.Combine(Path.GetTempPath(), "vault-pack", Guid.NewGuid().ToString("N"));
        try
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
            foreach (var argument in new[] { "pack", "build/Package/Vault.Package.csproj", "-c", Repo.Configuration, "-o", output, "-nologo" })
            {
                info.ArgumentList.Add(argument);
            }

            using (var pack = Process.Start(info)!)
            {
                var stderr = new System.Text.StringBuilder();
                pack.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
                pack.BeginErrorReadLine();
                var stdout = pack.StandardOutput.ReadToEnd();
                Assert.True(pack.WaitForExit(TimeSpan.FromMinutes(3)), "dotnet pack hung");
                Assert.True(pack.ExitCode == 0, stdout + stderr);
            }

            var package = Path.Combine(output, $"Vault.{Repo.Version}.nupkg");
            using var zip = ZipFile.OpenRead(package);
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("Vault.psd1", entries);
            Assert.Contains("Vault.format.ps1xml", entries);
            Assert.Contains("bin/Vault.PowerShell.dll", entries);
            Assert.Contains("bin/private/Vault.Core.dll", entries);
            Assert.Contains("bin/private/runtimes/win-x64/native/e_sqlite3.dll", entries);
            Assert.Contains("en-US/about_Vault.help.txt", entries);
            Assert.DoesNotContain(entries, e => e.StartsWith("content/", StringComparison.Ordinal) || e.StartsWith("lib/", StringComparison.Ordinal));

            using var nuspec = zip.GetEntry("Vault.nuspec")!.Open();
            var metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string Field(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
            Assert.Equal("Vault", Field("id"));
            Assert.Equal(Repo.Version, Field("version"));
            var tags = Field("tags").Split(' ');
            Assert.Contains("PSModule", tags);
            Assert.Contains("PSIncludes_Cmdlet", tags);
            foreach (var cmdlet in ModuleTests.Cmdlets)
            {
                Assert.Contains("PSCmdlet_" + cmdlet, tags);
                Assert.Contains("PSCommand_" + cmdlet, tags);
            }
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}
