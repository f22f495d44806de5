namespace Vault.Core;

/// <summary>One page of a listing, and the opaque token that continues it (null on the last page).</summary>
public sealed record VaultPage<T>(IReadOnlyList<T> Items, string? ContinuationToken);
