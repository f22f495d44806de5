using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace Vault.PowerShell.Loading;

/// <summary>
/// Runs when the module is imported, before any cmdlet: routes the assemblies only Vault asks for
/// (Vault.Core into the module's load context, Vault.Model from the module folder) and leaves every
/// other request to PowerShell.
/// </summary>
public sealed class VaultModuleInitializer : IModuleAssemblyInitializer
{
    private static readonly object Gate = new();
    private static VaultLoadContext? context;

    /// <inheritdoc />
    public void OnImport()
    {
        lock (Gate)
        {
            if (context is not null)
            {
                return;
            }

            var bin = Path.GetDirectoryName(typeof(VaultModuleInitializer).Assembly.Location)!;
            context = new VaultLoadContext(Path.Combine(bin, "private"));
            AssemblyLoadContext.Default.Resolving += (loadContext, name) => name.Name switch
            {
                "Vault.Core" => context.LoadFromAssemblyName(name),
                "Vault.Model" => loadContext.LoadFromAssemblyPath(Path.Combine(bin, "Vault.Model.dll")),
                _ => null,
            };
        }
    }
}
