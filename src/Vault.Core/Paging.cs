using System.Buffers.Text;
using System.Text;

namespace Vault.Core;

/// <summary>
/// Listings a page at a time, by name. A continuation token is opaque to the caller: base64url of
/// the listing it belongs to (kind, live or deleted) and the last name it returned. It decides
/// nothing but where the next page starts, and every page is filtered by the caller's roles as it
/// is read, so a token a client makes up can only start a listing somewhere else.
/// </summary>
internal static class Paging
{
    /// <summary>The most items one page holds (Azure Key Vault's maxresults is 1 to 25).</summary>
    public const int MaxPageSize = 25;

    private const string Format = "v1";

    /// <summary>Checks the page size and the token; returns the name the page starts after (null: the first page).</summary>
    public static string? Start(ObjectKind kind, bool deleted, int maxResults, string? token)
    {
        if (maxResults is < 1 or > MaxPageSize)
        {
            throw VaultErrors.InvalidPageSize(maxResults, MaxPageSize);
        }

        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw VaultErrors.InvalidContinuationToken(token, "it is not base64url.");
        }

        var parts = text.Split('\n');
        if (parts.Length != 4 || parts[0] != Format || parts[1] != kind.Collection || parts[2] != Listing(deleted) || parts[3].Length == 0)
        {
            throw VaultErrors.InvalidContinuationToken(token, $"it is not a token of a listing of {Listing(deleted)} {kind.Collection}.");
        }

        return parts[3];
    }

    /// <summary>Takes a page from a stream (that already starts after the token's name) and the token for the next.</summary>
    public static VaultPage<T> Page<T>(IEnumerable<T> items, ObjectKind kind, bool deleted, int maxResults, Func<T, string> nameOf)
    {
        var page = new List<T>(maxResults);
        var more = false;
        foreach (var item in items)
        {
            if (page.Count == maxResults)
            {
                more = true;
                break;
            }

            page.Add(item);
        }

        return new VaultPage<T>(page, more ? Token(kind, deleted, nameOf(page[^1])) : null);
    }

    private static string Token(ObjectKind kind, bool deleted, string lastName) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Format}\n{kind.Collection}\n{Listing(deleted)}\n{lastName}"));

    private static string Listing(bool deleted) => deleted ? "deleted" : "live";
}
