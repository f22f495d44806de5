using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage.Sqlite;

/// <summary>
/// Objects and their versions: a pair of tables per kind (<c>secret</c> and <c>secret_version</c>
/// for secrets), whose statements are written once per kind (<see cref="Statements"/>).
/// </summary>
internal sealed class SqliteObjectStore(SqliteVaultTransaction db) : IObjectStore
{
    private const string VersionColumns =
        "v.seq, v.version, v.created, v.updated, v.enabled, v.not_before, v.expires, v.content_type, v.tags, v.term, v.ordinal, v.mac, v.secret_type";

    /// <summary>How many columns an object adds to a row, before its version's.</summary>
    private const int ObjectColumnCount = 10;

    /// <summary>Where a version's value is, after <see cref="VersionColumns"/>.</summary>
    private const int ValueColumn = 13;

    public ObjectRow? Find(ObjectKind kind, string name)
    {
        var sql = Statements.Of(kind);
        using var command = db.Command(sql.Find);
        command.Parameters.AddWithValue("$name", name);
        using var reader = db.Reader(command);
        return db.Read(reader) ? ReadObject(kind, reader, 0) : null;
    }

    public (ObjectRow Object, VersionRow Version)? FindLatest(ObjectKind kind, string name, bool withValue)
    {
        var sql = Statements.Of(kind);
        var command = db.Kept(withValue ? sql.FindLatestWithValue : sql.FindLatest);
        command.Parameters.AddWithValue("$name", name);
        using var reader = db.Reader(command);
        return db.Read(reader) ? (ReadObject(kind, reader, 0), ReadVersion(reader, ObjectColumnCount, withValue)) : null;
    }

    public ObjectRow Insert(ObjectKind kind, string name, long created)
    {
        var command = db.Kept(Statements.Of(kind).Insert);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$created", created);
        var id = (long)db.Scalar(command)!;
        return new ObjectRow(kind, id, name, created, null, null);
    }

    public VersionRow? LatestVersion(ObjectRow obj)
    {
        using var command = db.Command(Statements.Of(obj.Kind).LatestVersion);
        command.Parameters.AddWithValue("$id", obj.Id);
        using var reader = db.Reader(command);
        return db.Read(reader) ? ReadVersion(reader, 0, withValue: false) : null;
    }

    public VersionRow? GetVersion(ObjectRow obj, string version, bool withValue)
    {
        var sql = Statements.Of(obj.Kind);
        using var command = db.Command(withValue ? sql.GetVersionWithValue : sql.GetVersion);
        command.Parameters.AddWithValue("$id", obj.Id);
        command.Parameters.AddWithValue("$version", version);
        using var reader = db.Reader(command);
        return db.Read(reader) ? ReadVersion(reader, 0, withValue) : null;
    }

    public void InsertVersion(ObjectRow obj, VersionRow version)
    {
        var command = db.Kept(Statements.Of(obj.Kind).InsertVersion);
        AddAttributes(command, obj.Id, version);
        command.Parameters.AddWithValue("$created", version.Created);
        command.Parameters.AddWithValue("$term", version.Term);
        command.Parameters.AddWithValue("$value", version.Value);
        command.Parameters.AddWithValue("$secretType", (object?)version.SecretType ?? DBNull.Value);
        db.Execute(command);
    }

    public void UpdateVersionAttributes(ObjectRow obj, VersionRow version)
    {
        var command = db.Kept(Statements.Of(obj.Kind).UpdateAttributes);
        AddAttributes(command, obj.Id, version);
        db.Execute(command);
    }

    public void WriteState(ObjectRow obj)
    {
        var command = db.Kept(Statements.Of(obj.Kind).WriteState);
        var p = command.Parameters;
        p.AddWithValue("$id", obj.Id);
        p.AddWithValue("$deleted", (object?)obj.Deleted ?? DBNull.Value);
        p.AddWithValue("$purge", (object?)obj.ScheduledPurge ?? DBNull.Value);
        p.AddWithValue("$count", obj.VersionCount);
        p.AddWithValue("$latest", (object?)obj.LatestVersion ?? DBNull.Value);
        p.AddWithValue("$latestMac", (object?)obj.LatestMac ?? DBNull.Value);
        p.AddWithValue("$digest", (object?)obj.VersionsDigest ?? DBNull.Value);
        p.AddWithValue("$mac", (object?)obj.Mac ?? DBNull.Value);
        db.Execute(command);
    }

    public IEnumerable<ObjectRow> ListAll(ObjectKind kind)
    {
        using var command = db.Command(Statements.Of(kind).ListAll);
        using var reader = db.Reader(command);
        while (db.Read(reader))
        {
            yield return ReadObject(kind, reader, 0);
        }
    }

    public IEnumerable<(ObjectRow Object, VersionRow Version)> ListLatest(ObjectKind kind, bool deleted, string namePrefix, string? afterName = null)
    {
        using var command = db.Command(afterName is null ? Statements.Of(kind).ListLatest : Statements.Of(kind).ListLatestAfter);
        command.Parameters.AddWithValue("$deleted", deleted ? 1 : 0);
        command.Parameters.AddWithValue("$prefix", EscapeLike(namePrefix) + "%");
        if (afterName is not null)
        {
            command.Parameters.AddWithValue("$after", afterName);
        }

        using var reader = db.Reader(command);
        while (db.Read(reader))
        {
            yield return (ReadObject(kind, reader, 0), ReadVersion(reader, ObjectColumnCount, withValue: false));
        }
    }

    public IEnumerable<VersionRow> ListVersions(ObjectRow obj, bool withValue, bool oldestFirst = false)
    {
        var sql = Statements.Of(obj.Kind);
        using var command = db.Command((withValue, oldestFirst) switch
        {
            (true, true) => sql.ListVersionsOldestWithValue,
            (true, false) => sql.ListVersionsWithValue,
            (false, true) => sql.ListVersionsOldest,
            (false, false) => sql.ListVersions,
        });
        command.Parameters.AddWithValue("$id", obj.Id);
        using var reader = db.Reader(command);
        while (db.Read(reader))
        {
            yield return ReadVersion(reader, 0, withValue);
        }
    }

    public void MarkDeleted(ObjectRow obj, long deleted, long scheduledPurge)
    {
        using var command = db.Command(Statements.Of(obj.Kind).MarkDeleted);
        command.Parameters.AddWithValue("$id", obj.Id);
        command.Parameters.AddWithValue("$deleted", deleted);
        command.Parameters.AddWithValue("$purge", scheduledPurge);
        db.Execute(command);
    }

    public void MarkRecovered(ObjectRow obj)
    {
        using var command = db.Command(Statements.Of(obj.Kind).MarkRecovered);
        command.Parameters.AddWithValue("$id", obj.Id);
        db.Execute(command);
    }

    public void Delete(ObjectRow obj)
    {
        using var command = db.Command(Statements.Of(obj.Kind).Delete);
        command.Parameters.AddWithValue("$id", obj.Id);
        db.Execute(command);
    }

    public IReadOnlyList<ObjectRow> PurgeExpired(long now)
    {
        List<ObjectRow>? purged = null;
        for (var k = 0; k < ObjectKind.All.Count; k++)
        {
            var kind = ObjectKind.All[k];
            var sql = Statements.Of(kind);
            // Nearly always none (the index on scheduled_purge answers it): only then a delete.
            var command = db.Kept(sql.Expired);
            command.Parameters.AddWithValue("$now", now);
            using (var reader = db.Reader(command))
            {
                while (db.Read(reader))
                {
                    (purged ??= []).Add(ReadObject(kind, reader, 0));
                }
            }

            if (purged is { Count: > 0 })
            {
                using var delete = db.Command(sql.PurgeExpired);
                delete.Parameters.AddWithValue("$now", now);
                db.Execute(delete);
            }
        }

        return purged ?? (IReadOnlyList<ObjectRow>)[];
    }

    public (long Live, long? LatestPurge) RetentionState(long now)
    {
        long live = 0;
        long? latest = null;
        foreach (var kind in ObjectKind.All)
        {
            using var command = db.Command(Statements.Of(kind).RetentionState);
            command.Parameters.AddWithValue("$now", now);
            using var reader = db.Reader(command);
            db.Read(reader);
            live += reader.GetInt64(0);
            if (!reader.IsDBNull(1))
            {
                latest = Math.Max(latest ?? long.MinValue, reader.GetInt64(1));
            }
        }

        return (live, latest);
    }

    public long CountVersionsBelowTerm(ObjectKind kind, int term)
    {
        using var command = db.Command(Statements.Of(kind).CountBelowTerm);
        command.Parameters.AddWithValue("$term", term);
        return (long)db.Scalar(command)!;
    }

    public IReadOnlyList<SealedVersion> VersionsBelowTerm(ObjectKind kind, int term, long afterSeq, int limit)
    {
        using var command = db.Command(Statements.Of(kind).BelowTerm);
        command.Parameters.AddWithValue("$term", term);
        command.Parameters.AddWithValue("$after", afterSeq);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = db.Reader(command);
        var rows = new List<SealedVersion>();
        while (db.Read(reader))
        {
            rows.Add(new SealedVersion(kind, reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetFieldValue<byte[]>(4)));
        }

        return rows;
    }

    public void Reseal(SealedVersion version, int term, byte[] value)
    {
        using var command = db.Command(Statements.Of(version.Kind).Reseal);
        command.Parameters.AddWithValue("$seq", version.Seq);
        command.Parameters.AddWithValue("$old", version.Term);
        command.Parameters.AddWithValue("$term", term);
        command.Parameters.AddWithValue("$value", value);
        db.Execute(command);
    }

    /// <summary>The parameters a version's insert and attribute update share.</summary>
    private static void AddAttributes(SqliteCommand command, long objectId, VersionRow row)
    {
        command.Parameters.AddWithValue("$id", objectId);
        command.Parameters.AddWithValue("$version", row.Version);
        command.Parameters.AddWithValue("$updated", row.Updated);
        command.Parameters.AddWithValue("$enabled", row.Enabled ? 1 : 0);
        command.Parameters.AddWithValue("$notBefore", (object?)row.NotBefore ?? DBNull.Value);
        command.Parameters.AddWithValue("$expires", (object?)row.Expires ?? DBNull.Value);
        command.Parameters.AddWithValue("$contentType", (object?)row.ContentType ?? DBNull.Value);
        command.Parameters.AddWithValue("$tags", (object?)row.Tags ?? DBNull.Value);
        command.Parameters.AddWithValue("$mac", (object?)row.Mac ?? DBNull.Value);
        command.Parameters.AddWithValue("$ordinal", row.Ordinal);
    }

    private static byte[]? Blob(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<byte[]>(i);

    private static ObjectRow ReadObject(ObjectKind kind, SqliteDataReader r, int i) => new(
        kind,
        r.GetInt64(i),
        r.GetString(i + 1),
        r.GetInt64(i + 2),
        r.IsDBNull(i + 3) ? null : r.GetInt64(i + 3),
        r.IsDBNull(i + 4) ? null : r.GetInt64(i + 4))
    {
        VersionCount = r.GetInt64(i + 5),
        LatestVersion = r.IsDBNull(i + 6) ? null : r.GetString(i + 6),
        LatestMac = Blob(r, i + 7),
        VersionsDigest = Blob(r, i + 8),
        Mac = Blob(r, i + 9),
    };

    private static VersionRow ReadVersion(SqliteDataReader r, int i, bool withValue) => new()
    {
        Seq = r.GetInt64(i),
        Version = r.GetString(i + 1),
        Created = r.GetInt64(i + 2),
        Updated = r.GetInt64(i + 3),
        Enabled = r.GetInt64(i + 4) != 0,
        NotBefore = r.IsDBNull(i + 5) ? null : r.GetInt64(i + 5),
        Expires = r.IsDBNull(i + 6) ? null : r.GetInt64(i + 6),
        ContentType = r.IsDBNull(i + 7) ? null : r.GetString(i + 7),
        Tags = r.IsDBNull(i + 8) ? null : r.GetString(i + 8),
        Term = r.GetInt32(i + 9),
        Ordinal = r.IsDBNull(i + 10) ? 0 : r.GetInt64(i + 10),
        Mac = Blob(r, i + 11),
        SecretType = r.IsDBNull(i + 12) ? null : r.GetString(i + 12),
        Value = withValue ? r.GetFieldValue<byte[]>(i + ValueColumn) : [],
    };

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    /// <summary>Every statement on one kind's pair of tables, written once.</summary>
    private sealed class Statements
    {
        private static readonly Statements Secrets = new("secret", "secret_version", "secret_id");

        private Statements(string objects, string versions, string id)
        {
            var objectColumns = $"s.{id}, s.name, s.created, s.deleted, s.scheduled_purge, s.version_count, s.latest_version, s.latest_mac, s.versions_digest, s.mac";
            var latestJoin = $"FROM {objects} s JOIN {versions} v ON v.seq = (SELECT max(seq) FROM {versions} WHERE {id} = s.{id})";
            Find = $"SELECT {objectColumns} FROM {objects} s WHERE s.name = $name;";
            FindLatest = $"SELECT {objectColumns}, {VersionColumns} {latestJoin} WHERE s.name = $name;";
            FindLatestWithValue = $"SELECT {objectColumns}, {VersionColumns}, v.value {latestJoin} WHERE s.name = $name;";
            Insert = $"INSERT INTO {objects} (name, created) VALUES ($name, $created) RETURNING {id};";
            LatestVersion = $"SELECT {VersionColumns} FROM {versions} v WHERE v.{id} = $id ORDER BY v.seq DESC LIMIT 1;";
            GetVersion = $"SELECT {VersionColumns} FROM {versions} v WHERE v.{id} = $id AND v.version = $version;";
            GetVersionWithValue = $"SELECT {VersionColumns}, v.value FROM {versions} v WHERE v.{id} = $id AND v.version = $version;";
            InsertVersion = $"""
                INSERT INTO {versions} ({id}, version, created, updated, enabled, not_before, expires, content_type, tags, term, value, ordinal, mac, secret_type)
                VALUES ($id, $version, $created, $updated, $enabled, $notBefore, $expires, $contentType, $tags, $term, $value, $ordinal, $mac, $secretType);
                """;
            UpdateAttributes = $"""
                UPDATE {versions}
                SET updated = $updated, enabled = $enabled, not_before = $notBefore, expires = $expires,
                    content_type = $contentType, tags = $tags, mac = $mac, ordinal = $ordinal
                WHERE {id} = $id AND version = $version;
                """;
            var listLatest = $"SELECT {objectColumns}, {VersionColumns} {latestJoin} WHERE (s.deleted IS NOT NULL) = $deleted AND s.name LIKE $prefix ESCAPE '\\'";
            ListLatest = listLatest + " ORDER BY s.name;";
            ListLatestAfter = listLatest + " AND s.name > $after ORDER BY s.name;";
            ListVersions = $"SELECT {VersionColumns} FROM {versions} v WHERE v.{id} = $id ORDER BY v.seq DESC;";
            ListVersionsOldest = $"SELECT {VersionColumns} FROM {versions} v WHERE v.{id} = $id ORDER BY v.seq ASC;";
            ListVersionsWithValue = $"SELECT {VersionColumns}, v.value FROM {versions} v WHERE v.{id} = $id ORDER BY v.seq DESC;";
            ListVersionsOldestWithValue = $"SELECT {VersionColumns}, v.value FROM {versions} v WHERE v.{id} = $id ORDER BY v.seq ASC;";
            MarkDeleted = $"UPDATE {objects} SET deleted = $deleted, scheduled_purge = $purge WHERE {id} = $id;";
            MarkRecovered = $"UPDATE {objects} SET deleted = NULL, scheduled_purge = NULL WHERE {id} = $id;";
            Delete = $"DELETE FROM {objects} WHERE {id} = $id;";
            PurgeExpired = $"DELETE FROM {objects} WHERE scheduled_purge IS NOT NULL AND scheduled_purge <= $now;";
            Expired = $"SELECT {objectColumns} FROM {objects} s WHERE s.scheduled_purge IS NOT NULL AND s.scheduled_purge <= $now;";
            WriteState = $"""
                UPDATE {objects} SET deleted = $deleted, scheduled_purge = $purge, version_count = $count, latest_version = $latest,
                    latest_mac = $latestMac, versions_digest = $digest, mac = $mac
                WHERE {id} = $id;
                """;
            ListAll = $"SELECT {objectColumns} FROM {objects} s ORDER BY s.name;";
            RetentionState = $"SELECT (SELECT count(*) FROM {objects} WHERE deleted IS NULL), (SELECT max(scheduled_purge) FROM {objects} WHERE scheduled_purge > $now);";
            CountBelowTerm = $"SELECT count(*) FROM {versions} WHERE term < $term;";
            BelowTerm = $"""
                SELECT v.seq, s.name, v.version, v.term, v.value FROM {versions} v JOIN {objects} s USING ({id})
                WHERE v.term < $term AND v.seq > $after ORDER BY v.seq LIMIT $limit;
                """;
            Reseal = $"UPDATE {versions} SET term = $term, value = $value WHERE seq = $seq AND term = $old;";
        }

        public string Find { get; }
        public string FindLatest { get; }
        public string FindLatestWithValue { get; }
        public string Insert { get; }
        public string LatestVersion { get; }
        public string GetVersion { get; }
        public string GetVersionWithValue { get; }
        public string InsertVersion { get; }
        public string UpdateAttributes { get; }
        public string ListLatest { get; }
        public string ListLatestAfter { get; }
        public string ListVersions { get; }
        public string ListVersionsOldest { get; }
        public string ListVersionsWithValue { get; }
        public string ListVersionsOldestWithValue { get; }
        public string MarkDeleted { get; }
        public string MarkRecovered { get; }
        public string Delete { get; }
        public string PurgeExpired { get; }
        public string Expired { get; }
        public string WriteState { get; }
        public string ListAll { get; }
        public string RetentionState { get; }
        public string CountBelowTerm { get; }
        public string BelowTerm { get; }
        public string Reseal { get; }

        public static Statements Of(ObjectKind kind) =>
            ReferenceEquals(kind, ObjectKind.Secret) ? Secrets : throw new NotSupportedException($"No tables for objects of kind '{kind}'.");
    }
}
