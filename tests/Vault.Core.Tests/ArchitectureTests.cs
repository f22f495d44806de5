using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Vault.Core.Tests;

/// <summary>
/// The layers hold: the cmdlets use only the core's entry point (namespace <c>Vault.Core</c>) and
/// the model (<c>Vault</c>); cryptographic primitives and PKCS#11 are used in <c>Crypto/</c> only
/// (bar zeroing memory and random numbers); SQL, Microsoft.Data.Sqlite and SQLitePCL in
/// <c>Storage/</c> only; the keyring type, which holds raw keys, never leaves <c>Crypto/</c>.
/// The core's sources are compiled with Roslyn and every name in them resolved, so a use is found
/// however it is written (a using, a full name, an alias).
/// </summary>
public sealed partial class ArchitectureTests
{
    [Fact]
    public void TheCmdletsUseOnlyTheCoresEntryPointAndTheModel()
    {
        var assembly = Path.Combine(RepoRoot, "src", "Vault.PowerShell", "bin", Configuration, "net10.0", "Vault.PowerShell.dll");
        Assert.True(File.Exists(assembly), $"{assembly} is not built.");
        var used = CoreNamespacesUsedBy(assembly);
        Assert.Contains("Vault.Core", used);
        Assert.Equal(["Vault.Core"], used.Distinct().Order().ToArray());
    }

    [Fact]
    public void CryptographyStorageAndTheKeyringStayInTheirFolders()
    {
        var findings = Check(CoreSources());
        Assert.True(findings.Count == 0, "Layering violations:\n" + string.Join("\n", findings));
    }

    [Fact]
    public void TheCheckFindsEachKindOfViolation()
    {
        // A test that cannot fail is worse than none: the same check on sources that break each rule.
        const string Bad = """
            using System.Security.Cryptography;
            using Sql = Microsoft.Data.Sqlite;
            namespace Vault.Core;
            internal static class Bad
            {
                public static byte[] Hash(byte[] data) => SHA256.HashData(data);
                public static object Connect() => new Sql.SqliteConnection("Data Source=x");
                public const string Query = "SELECT name FROM secret WHERE id = 1;";
                public static object Key(Vault.Core.Crypto.Keyring keyring) => keyring;
                public static void Fine(byte[] data) { CryptographicOperations.ZeroMemory(data); RandomNumberGenerator.Fill(data); }
            }
            """;
        var outside = Check(CoreSources().Append((Path.Combine(CoreRoot, "Secrets", "Bad.cs"), Bad))).Where(f => f.StartsWith("Secrets/Bad.cs", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, outside.Count);
        Assert.Contains(outside, f => f.Contains("SHA256", StringComparison.Ordinal));
        Assert.Contains(outside, f => f.Contains("SqliteConnection", StringComparison.Ordinal));
        Assert.Contains(outside, f => f.Contains("SQL text", StringComparison.Ordinal));
        Assert.Contains(outside, f => f.Contains("Keyring", StringComparison.Ordinal));

        // In Crypto/ the primitive and the keyring are at home; SQL still is not.
        var inCrypto = Check(CoreSources().Append((Path.Combine(CoreRoot, "Crypto", "Bad.cs"), Bad))).Where(f => f.StartsWith("Crypto/Bad.cs", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, inCrypto.Count);
        Assert.All(inCrypto, f => Assert.True(f.Contains("Sqlite", StringComparison.Ordinal) || f.Contains("SQL text", StringComparison.Ordinal), f));
    }

    [Fact]
    public void TheCheckResolvesTheCoresOwnUses()
    {
        // Were names left unresolved, the check would find nothing anywhere: with no folder exempt,
        // it finds the barrier's AES-GCM, the SQLite store's connections and their SQL.
        var findings = Check(CoreSources(), exemptFolders: false);
        Assert.Contains(findings, f => f.StartsWith("Crypto/Aead.cs", StringComparison.Ordinal) && f.Contains("AesGcm", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.StartsWith("Storage/Sqlite/SqliteVaultStore.cs", StringComparison.Ordinal) && f.Contains("SqliteConnection", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.StartsWith("Storage/Sqlite/SqliteObjectStore.cs", StringComparison.Ordinal) && f.Contains("SQL text", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.StartsWith("Crypto/Pkcs11/Pkcs11InteropLibrary.cs", StringComparison.Ordinal) && f.Contains("Pkcs11Interop", StringComparison.Ordinal));
    }

    [Fact]
    public void TheCheckOfTheCmdletsFindsAnInternalNamespace()
    {
        // Vault.Core.Tests itself uses Vault.Core.Storage, Vault.Core.Crypto...: what the cmdlets must not.
        var used = CoreNamespacesUsedBy(typeof(ArchitectureTests).Assembly.Location);
        Assert.Contains("Vault.Core.Storage", used);
        Assert.Contains("Vault.Core.Crypto", used);
    }

    // ---- the checks ----------------------------------------------------------------------------

    private static readonly string RepoRoot = FindRepoRoot();

    private static readonly string CoreRoot = Path.Combine(RepoRoot, "src", "Vault.Core");

    private static string Configuration =>
        typeof(ArchitectureTests).Assembly.GetCustomAttributes<AssemblyConfigurationAttribute>().Single().Configuration;

    /// <summary>The namespaces of every Vault.Core type an assembly refers to (from its metadata: every type it names).</summary>
    private static List<string> CoreNamespacesUsedBy(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var namespaces = new List<string>();
        foreach (var handle in metadata.TypeReferences)
        {
            var type = metadata.GetTypeReference(handle);
            // A nested type's scope is its enclosing type: walk out to the assembly it comes from.
            var outer = type;
            while (outer.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                outer = metadata.GetTypeReference((TypeReferenceHandle)outer.ResolutionScope);
            }

            if (outer.ResolutionScope.Kind == HandleKind.AssemblyReference
                && metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)outer.ResolutionScope).Name) == "Vault.Core")
            {
                namespaces.Add(metadata.GetString(outer.Namespace));
            }
        }

        return namespaces;
    }

    private static IEnumerable<(string Path, string Text)> CoreSources() =>
        Directory.EnumerateFiles(CoreRoot, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (p, File.ReadAllText(p)));

    /// <summary>Every use, in the given sources of Vault.Core, of something outside the folder it belongs in.</summary>
    private static List<string> Check(IEnumerable<(string Path, string Text)> sources, bool exemptFolders = true)
    {
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview), s.Path)).ToList();
        var compilation = CSharpCompilation.Create("Vault.Core.Check", trees, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        var findings = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string where, string rule, ISymbol symbol)
        {
            if (seen.Add(where + rule))
            {
                findings.Add($"{where}: {rule}: {symbol.ToDisplayString()}");
            }
        }

        foreach (var tree in trees)
        {
            var relative = Path.GetRelativePath(CoreRoot, tree.FilePath).Replace('\\', '/');
            var inCrypto = exemptFolders && relative.StartsWith("Crypto/", StringComparison.Ordinal);
            var inStorage = exemptFolders && relative.StartsWith("Storage/", StringComparison.Ordinal);
            var model = compilation.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                var where = $"{relative}:{node.GetLocation().GetLineSpan().StartLinePosition.Line + 1}";
                if (node is LiteralExpressionSyntax or InterpolatedStringExpressionSyntax && !inStorage && SqlText().IsMatch(node.ToString()))
                {
                    findings.Add($"{where}: SQL text outside Storage/: {node}");
                    continue;
                }

                if (node is not SimpleNameSyntax name || name.Parent is QualifiedNameSyntax { Right: var right } && right != name)
                {
                    continue;
                }

                var symbol = model.GetSymbolInfo(name).Symbol;
                if (symbol is null or INamespaceSymbol)
                {
                    continue;
                }

                var type = symbol as INamedTypeSymbol ?? symbol.ContainingType;
                var ns = (type?.ContainingNamespace ?? symbol.ContainingNamespace)?.ToDisplayString() ?? string.Empty;
                // One finding per line and rule: SHA256.HashData is one use, not two.
                if (!inCrypto && (IsCryptography(ns) && !IsAllowedCryptography(symbol, name) || ns.StartsWith("Net.Pkcs11Interop", StringComparison.Ordinal)))
                {
                    Add(where, "cryptography outside Crypto/", symbol);
                }
                else if (!inStorage && (ns.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal) || ns.StartsWith("SQLitePCL", StringComparison.Ordinal)))
                {
                    Add(where, "SQLite outside Storage/", symbol);
                }
                else if (!inCrypto && type?.ToDisplayString() == "Vault.Core.Crypto.Keyring")
                {
                    Add(where, "the keyring (raw keys) outside Crypto/", symbol);
                }
            }
        }

        return findings;
    }

    private static bool IsCryptography(string ns) => ns == "System.Security.Cryptography" || ns.StartsWith("System.Security.Cryptography.", StringComparison.Ordinal);

    /// <summary>Zeroing memory and random numbers are for everyone; the type name before ZeroMemory is part of that call.</summary>
    private static bool IsAllowedCryptography(ISymbol symbol, SimpleNameSyntax name) => symbol switch
    {
        IMethodSymbol { Name: "ZeroMemory", ContainingType.Name: "CryptographicOperations" } => true,
        INamedTypeSymbol { Name: "CryptographicOperations" } => name.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ZeroMemory" },
        INamedTypeSymbol { Name: "RandomNumberGenerator" } => true,
        IMethodSymbol { ContainingType.Name: "RandomNumberGenerator" } => true,
        _ => false,
    };

    /// <summary>What SQL looks like in a string: a statement's opening words, in capitals as Vault writes them.</summary>
    [GeneratedRegex(@"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|ALTER\s+TABLE|DROP\s+TABLE|PRAGMA\s+\w+|BEGIN\s+(IMMEDIATE|DEFERRED|EXCLUSIVE))\b", RegexOptions.Singleline)]
    private static partial Regex SqlText();

    /// <summary>What Vault.Core compiles against: the runtime's assemblies and its packages (copied beside these tests).</summary>
    private static readonly Lazy<List<MetadataReference>> References = new(() =>
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var here = Path.GetDirectoryName(typeof(ArchitectureTests).Assembly.Location)!;
        var packages = new[] { "Microsoft.Data.Sqlite.dll", "SQLitePCLRaw.core.dll", "Pkcs11Interop.dll", "Vault.Model.dll" }.Select(f => Path.Combine(here, f));
        return platform.Concat(packages).Where(File.Exists).Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    });

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vault.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Vault.sln not found above " + AppContext.BaseDirectory);
    }
}
