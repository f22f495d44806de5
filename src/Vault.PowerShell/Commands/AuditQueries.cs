using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>The filters Get-VaultAuditLog and Export-VaultAuditLog share, as the core's query.</summary>
internal static class AuditQueries
{
    /// <summary>A query with -Start and -End when they were given.</summary>
    public static AuditLogQuery From(IDictionary<string, object> bound, DateTime start, DateTime end) => new()
    {
        Start = bound.ContainsKey("Start") ? start : null,
        End = bound.ContainsKey("End") ? end : null,
    };
}
