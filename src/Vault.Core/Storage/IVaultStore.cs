namespace Vault.Core.Storage;

/// <summary>
/// What the core needs from one kind of storage: vaults at locations of that kind made, opened,
/// read without being changed, and deleted. <see cref="VaultStorage.For"/> picks the implementation
/// for a location; <c>Sqlite/</c> is the one there is today.
/// </summary>
/// <remarks>
/// Storage is untrusted (docs/ARCHITECTURE.md): it holds ciphertext, sealed keys and metadata, and
/// whatever it returns is checked above it. An implementation translates its own failures into the
/// core's errors (<see cref="VaultErrors.VaultStorageFailed"/>, <see cref="VaultErrors.NotAVaultFile"/>):
/// no storage exception type is seen outside <c>Storage/</c>.
/// </remarks>
internal interface IVaultStorage
{
    /// <summary>Whether a vault (or something in its place) exists at the location.</summary>
    bool Exists(VaultLocation location);

    /// <summary>
    /// Opens an existing vault, migrating its schema forward if it is older than this module. When
    /// the vault predates roles, <paramref name="firstAdministrator"/> is made its Administrator in
    /// the upgrade's own transaction, as a creator is.
    /// </summary>
    IVaultStore Open(VaultLocation location, RoleAssignmentRow? firstAdministrator);

    /// <summary>
    /// Makes a new vault with its settings, first keyring term and creator's assignment, then runs
    /// <paramref name="record"/> in the same transaction (the creation's audit record): all of it
    /// or nothing. Fails with VaultFileExists when the location is taken. Owner-only from the start.
    /// </summary>
    IVaultStore Create(VaultLocation location, VaultRow vault, KeyringRow firstTerm, RoleAssignmentRow creator, Action<IVaultTransaction> record);

    /// <summary>The vault's settings, read without migrating or writing anything.</summary>
    VaultRow ReadSettings(VaultLocation location);

    /// <summary>Deletes everything the vault is stored in (for SQLite: the file and its -wal, -shm and -journal files).</summary>
    void Delete(VaultLocation location);
}

/// <summary>One open vault's storage. Thread-safe: each transaction is used by one thread at a time.</summary>
internal interface IVaultStore : IDisposable
{
    VaultLocation Location { get; }

    /// <summary>Reads outside a transaction: each statement sees a consistent snapshot of its own.</summary>
    IVaultTransaction Connect();

    /// <summary>Several reads from one snapshot.</summary>
    IVaultTransaction BeginRead();

    /// <summary>
    /// A write transaction. It waits for other writers rather than failing half-way; whatever it
    /// wrote is gone if it is disposed without <see cref="IVaultTransaction.Commit"/>. Several
    /// writers may be inside at once where the storage allows it (not SQLite): the audit head is
    /// then what orders them (<see cref="IAuditStore.LockHead"/>).
    /// </summary>
    IVaultTransaction BeginWrite();
}

/// <summary>
/// A transaction (or, from <see cref="IVaultStore.Connect"/>, a connection) with the vault's data
/// by aggregate. Disposing it without <see cref="Commit"/> rolls back.
/// </summary>
internal interface IVaultTransaction : IDisposable
{
    ISettingsStore Settings { get; }

    IKeyringStore Keyring { get; }

    IObjectStore Objects { get; }

    IRoleStore Roles { get; }

    IAuditStore Audit { get; }

    /// <summary>Makes the transaction's writes durable (a no-op for reads).</summary>
    void Commit();
}

/// <summary>The vault's one settings row: ids, name, soft-delete settings, the key protector's settings.</summary>
internal interface ISettingsStore
{
    VaultRow Read();

    /// <summary>Writes what can change of the row: retention, purge protection, the key protector's settings, and the state with its MAC.</summary>
    void Write(VaultRow row);
}

/// <summary>The keyring's rows, one per term, each sealed by the root key (and chained to the term before).</summary>
internal interface IKeyringStore
{
    /// <summary>The terms after <paramref name="afterTerm"/>, in term order.</summary>
    IReadOnlyList<KeyringRow> Read(int afterTerm = 0);

    /// <summary>The newest term (0 for none): a write compares it with the keyring it holds, cheaply.</summary>
    int MaxTerm();

    /// <summary>Adds a term; a term that exists already is refused.</summary>
    void Insert(KeyringRow row);

    /// <summary>Re-wraps one term under another root key (rotation, migration, import).</summary>
    void UpdateWrap(int term, byte[] wrappedKey, string mechanism, byte[] keyCheck);
}

/// <summary>
/// Objects (secrets) and their versions, by kind. A name is unique within its kind, compared
/// case-insensitively; the latest version is the one written last.
/// </summary>
internal interface IObjectStore
{
    ObjectRow? Find(ObjectKind kind, string name);

    /// <summary>The object with its latest version, in one lookup; null when the name is unknown.</summary>
    (ObjectRow Object, VersionRow Version)? FindLatest(ObjectKind kind, string name, bool withValue);

    /// <summary>Adds an object with no versions yet; a name its kind holds already is refused.</summary>
    ObjectRow Insert(ObjectKind kind, string name, long created);

    VersionRow? LatestVersion(ObjectRow obj);

    VersionRow? GetVersion(ObjectRow obj, string version, bool withValue);

    /// <summary>Adds a version, which becomes the latest; a version id the object holds already is refused.</summary>
    void InsertVersion(ObjectRow obj, VersionRow version);

    /// <summary>Changes a version's attributes (enabled, dates, content type, tags, updated), ordinal and MAC; never its value or term.</summary>
    void UpdateVersionAttributes(ObjectRow obj, VersionRow version);

    /// <summary>Writes an object's state: deleted and purge times, version count, latest version and MAC, the versions' digest, its MAC.</summary>
    void WriteState(ObjectRow obj);

    /// <summary>Every object of a kind, live and deleted, with or without versions, by name: what a verification counts.</summary>
    IEnumerable<ObjectRow> ListAll(ObjectKind kind);

    /// <summary>
    /// Streams every live (or every deleted) object of a kind whose name starts with
    /// <paramref name="namePrefix"/> (case-insensitively, every character literal), with its latest
    /// version, ordered by name with ASCII letters folded to one case (names are ASCII); only names
    /// after <paramref name="afterName"/>, in that order, when it is given.
    /// </summary>
    IEnumerable<(ObjectRow Object, VersionRow Version)> ListLatest(ObjectKind kind, bool deleted, string namePrefix, string? afterName = null);

    /// <summary>Streams an object's versions, newest first (oldest first when <paramref name="oldestFirst"/>).</summary>
    IEnumerable<VersionRow> ListVersions(ObjectRow obj, bool withValue, bool oldestFirst = false);

    void MarkDeleted(ObjectRow obj, long deleted, long scheduledPurge);

    void MarkRecovered(ObjectRow obj);

    /// <summary>Deletes an object and every version of it.</summary>
    void Delete(ObjectRow obj);

    /// <summary>Deletes every deleted object, of every kind, whose retention ended at or before <paramref name="now"/>; returns them as they were.</summary>
    IReadOnlyList<ObjectRow> PurgeExpired(long now);

    /// <summary>How many live objects there are, and the latest purge date of the deleted ones still in retention.</summary>
    (long Live, long? LatestPurge) RetentionState(long now);

    long CountVersionsBelowTerm(ObjectKind kind, int term);

    /// <summary>The next versions after <paramref name="afterSeq"/> still sealed under a term below <paramref name="term"/>, oldest first.</summary>
    IReadOnlyList<SealedVersion> VersionsBelowTerm(ObjectKind kind, int term, long afterSeq, int limit);

    /// <summary>Replaces a version's sealed value, if it is still under <see cref="SealedVersion.Term"/>.</summary>
    void Reseal(SealedVersion version, int term, byte[] value);
}

/// <summary>Custom role definitions and role assignments, with a version that every change moves.</summary>
internal interface IRoleStore
{
    /// <summary>Changes with every change to either: a cheap way to see another process's.</summary>
    long Version();

    /// <summary>By name.</summary>
    IReadOnlyList<RoleDefinitionRow> ReadDefinitions();

    /// <summary>A name held already (case-insensitively) is refused.</summary>
    void InsertDefinition(RoleDefinitionRow row);

    void DeleteDefinition(Guid id);

    /// <summary>Sets a definition's MAC (an upgrade).</summary>
    void UpdateDefinitionMac(Guid id, byte[] mac);

    /// <summary>In the order they were made.</summary>
    IReadOnlyList<RoleAssignmentRow> ReadAssignments();

    /// <summary>The same principal, role and scope twice is refused (principal ids and scopes compare case-insensitively).</summary>
    void InsertAssignment(RoleAssignmentRow row);

    void DeleteAssignment(Guid id);

    /// <summary>Sets an assignment's MAC (an upgrade).</summary>
    void UpdateAssignmentMac(Guid id, byte[] mac);
}
