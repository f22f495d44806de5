using System.Text;
using Vault.Core.Storage;
using static Vault.Core.Tests.Storage.ContractRows;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests.Storage;

/// <summary>
/// What every storage must do, tested through <see cref="IVaultStorage"/>, <see cref="IVaultStore"/>,
/// <see cref="IVaultTransaction"/> and the aggregates alone: no storage type, no SQL, no path. The
/// core relies on each behaviour here, so a storage that passes can stand in for SQLite.
/// </summary>
/// <remarks>
/// To run the suite against another implementation (PostgreSQL, later), subclass it in this test
/// assembly and supply three things; every test here then runs against it unchanged:
/// <code>
/// public sealed class PostgresStorageContractTests : StorageContract
/// {
///     private protected override IVaultStorage Storage => PostgresStorage.Instance;
///     protected override VaultLocation NewLocation() => /* a database (or schema) no vault uses yet */;
///     protected override void DeleteLocations() => /* drop whatever NewLocation made */;
/// }
/// </code>
/// A location from <see cref="NewLocation"/> must be free (<see cref="IVaultStorage.Exists"/> false)
/// and usable by <see cref="IVaultStorage.Create"/>. The suite closes every store it opened before
/// <see cref="DeleteLocations"/> runs. Like every other class of the core's tests, it runs in its
/// own xunit collection: its tests one after another, beside other classes.
/// </remarks>
public abstract class StorageContract : IDisposable
{
    private static readonly ObjectKind Secret = ObjectKind.Secret;

    private readonly List<IVaultStore> stores = [];

    /// <summary>The storage under test.</summary>
    private protected abstract IVaultStorage Storage { get; }

    /// <summary>A location where no vault is yet, each call a new one.</summary>
    protected abstract VaultLocation NewLocation();

    /// <summary>Removes every location <see cref="NewLocation"/> gave; every store is closed by then.</summary>
    protected abstract void DeleteLocations();

    public void Dispose()
    {
        foreach (var store in stores)
        {
            store.Dispose();
        }

        stores.Clear();
        DeleteLocations();
        GC.SuppressFinalize(this);
    }

    // ---- the storage: made, opened, read, deleted ------------------------------------------------

    [Fact]
    public void AVaultExistsOnlyOnceCreated()
    {
        var location = NewLocation();
        Assert.False(Storage.Exists(location));

        Create(location, Settings());
        Assert.True(Storage.Exists(location));
        Assert.False(Storage.Exists(NewLocation()));
    }

    [Fact]
    public void ACreatedVaultHoldsExactlyTheRowsItWasMadeWith()
    {
        var location = NewLocation();
        var vault = Settings("made");
        var creator = Assignment("uid:1000");
        var record = Record(seq: 1, operation: "VaultCreate");
        VaultRow? seenInside = null;
        Create(location, vault, Term(1), creator, tx =>
        {
            // The creation's record is written in the creating transaction, which already holds the settings.
            seenInside = tx.Settings.Read();
            tx.Audit.Insert(record);
            tx.Audit.WriteHead(Head(1));
        });

        Assert.Equal(vault, seenInside);
        Assert.Equal(vault, Storage.ReadSettings(location));
        using var store = Storage.Open(location, firstAdministrator: null);
        using var db = store.Connect();
        Assert.Equal(vault, db.Settings.Read());
        Same([Term(1)], db.Keyring.Read());
        Assert.Equal([creator], db.Roles.ReadAssignments());
        Assert.Empty(db.Roles.ReadDefinitions());
        Same(record, Assert.Single(db.Audit.Query(new AuditQuery())) with { Id = 0 });
        Same(Head(1), db.Audit.ReadHead());
    }

    [Fact]
    public void CreatingWhereAVaultIsFailsWithVaultFileExistsAndLeavesItAlone()
    {
        var location = NewLocation();
        var first = Settings("first");
        Create(location, first);

        Throws(() => Storage.Create(location, Settings("second"), Term(1), Assignment("uid:2000"), _ => { }), "VaultFileExists");

        Assert.Equal(first, Storage.ReadSettings(location));
        using var db = Open(location).Connect();
        Assert.Equal("uid:1000", Assert.Single(db.Roles.ReadAssignments()).PrincipalId);
    }

    [Fact]
    public void ACreationWhoseRecordFailsLeavesNothingAndRethrows()
    {
        var location = NewLocation();
        var failure = new InvalidOperationException("The audit record could not be written.");

        var thrown = Assert.Throws<InvalidOperationException>(() => Storage.Create(location, Settings(), Term(1), Assignment("uid:1000"), tx =>
        {
            tx.Audit.Insert(Record(seq: 1));
            throw failure;
        }));

        Assert.Same(failure, thrown);
        Assert.False(Storage.Exists(location));
        // Nothing half-made stands in the way of a second attempt.
        var store = Create(location, Settings("again"));
        using var db = store.Connect();
        Assert.Equal("again", db.Settings.Read().Name);
        Assert.Empty(db.Audit.Query(new AuditQuery()));
    }

    [Fact]
    public void OpeningAVaultShowsWhatItsCreatorWrote()
    {
        var location = NewLocation();
        var created = Create(location, Settings());
        Write(created, tx => tx.Objects.Insert(Secret, "db", T0));

        var opened = Open(location, firstAdministrator: Assignment("uid:9999"));

        Assert.Equal(location, opened.Location);
        using var db = opened.Connect();
        Assert.Equal("db", db.Objects.Find(Secret, "db")?.Name);
        // A first administrator is for a vault that predates roles; this one has its creator.
        Assert.Equal(["uid:1000"], db.Roles.ReadAssignments().Select(a => a.PrincipalId));
    }

    [Fact]
    public void OpeningOrReadingWhereNoVaultIsFailsAndMakesNothing()
    {
        var location = NewLocation();

        Assert.Throws<VaultException>(() => Storage.Open(location, firstAdministrator: null));
        Assert.Throws<VaultException>(() => Storage.ReadSettings(location));

        Assert.False(Storage.Exists(location));
    }

    [Fact]
    public void DeletingAVaultLeavesNothingOfIt()
    {
        var location = NewLocation();
        var store = Create(location, Settings("old"));
        Write(store, tx =>
        {
            var db = tx.Objects.Insert(Secret, "db", T0);
            tx.Objects.InsertVersion(db, Version(VersionId(1)));
        });
        Close(store);

        Storage.Delete(location);

        Assert.False(Storage.Exists(location));
        // A new vault at the location starts empty: no object, term or record of the old one.
        var fresh = Create(location, Settings("new"));
        using var read = fresh.Connect();
        Assert.Equal("new", read.Settings.Read().Name);
        Assert.Null(read.Objects.Find(Secret, "db"));
        Assert.Equal(1, read.Keyring.MaxTerm());
    }

    // ---- transactions ------------------------------------------------------------------------

    [Fact]
    public void AWriteDisposedWithoutCommitLeavesNothing()
    {
        var location = NewLocation();
        var vault = Settings();
        var store = Create(location, vault);
        var rolesBefore = Read(store, tx => tx.Roles.Version());

        using (var tx = store.BeginWrite())
        {
            Retention(tx, 7, true);
            KeyProtector(tx, """{"kind":"Pkcs11"}""");
            tx.Keyring.Insert(Term(2));
            tx.Keyring.UpdateWrap(1, Bytes(40, 77), "CKM_AES_KEY_WRAP_KWP", Bytes(8, 78));
            var db = tx.Objects.Insert(Secret, "db", T0);
            tx.Objects.InsertVersion(db, Version(VersionId(1)));
            tx.Roles.InsertDefinition(Definition("Reader"));
            tx.Roles.InsertAssignment(Assignment("uid:2000"));
            tx.Audit.Insert(Record(seq: 1));
            tx.Audit.WriteHead(Head(1));

            // Its own reads see what it wrote.
            Assert.Equal(7, tx.Settings.Read().RetentionDays);
            Assert.NotNull(tx.Objects.FindLatest(Secret, "db", withValue: false));
        }

        AssertUntouched(store, vault, rolesBefore);
        var other = Open(location);
        AssertUntouched(other, vault, rolesBefore);
    }

    [Fact]
    public void AWriteThatFailsHalfWayRollsBackEntirely()
    {
        var vault = Settings();
        var store = Create(NewLocation(), vault);
        var rolesBefore = Read(store, tx => tx.Roles.Version());

        using (var tx = store.BeginWrite())
        {
            Retention(tx, 7, true);
            tx.Roles.InsertDefinition(Definition("Reader"));
            tx.Audit.Insert(Record(seq: 1));
            var db = tx.Objects.Insert(Secret, "db", T0);
            tx.Objects.InsertVersion(db, Version(VersionId(1)));
            Assert.Throws<VaultException>(() => tx.Objects.InsertVersion(db, Version(VersionId(1), created: T0 + 1)));
        }

        AssertUntouched(store, vault, rolesBefore);
        // The failed write held nothing back: the next one goes in.
        Write(store, tx => tx.Objects.Insert(Secret, "db", T0));
        Assert.NotNull(Read(store, tx => tx.Objects.Find(Secret, "db")));
    }

    [Fact]
    public void AWriteIsInvisibleToOthersUntilItCommits()
    {
        var location = NewLocation();
        var store = Create(location, Settings());
        var other = Open(location);

        using (var tx = store.BeginWrite())
        {
            tx.Objects.Insert(Secret, "db", T0);
            Retention(tx, 7, false);

            Assert.Null(Read(store, r => r.Objects.Find(Secret, "db")));
            Assert.Equal(90, Read(other, r => r.Settings.Read().RetentionDays));
            tx.Commit();
        }

        // A new connection, on this store or another over the same vault, sees the commit.
        Assert.Equal("db", Read(store, r => r.Objects.Find(Secret, "DB"))?.Name);
        Assert.Equal("db", Read(other, r => r.Objects.Find(Secret, "db"))?.Name);
        Assert.Equal(7, Read(other, r => r.Settings.Read().RetentionDays));
        Assert.Equal(7, Storage.ReadSettings(location).RetentionDays);
    }

    [Fact]
    public void AReadTransactionKeepsItsSnapshotWhileAnotherWriterCommits()
    {
        var store = Create(NewLocation(), Settings());
        var one = Version(VersionId(1));
        Write(store, tx => tx.Objects.InsertVersion(tx.Objects.Insert(Secret, "db", T0), one));

        using var read = store.BeginRead();
        Same(one, read.Objects.FindLatest(Secret, "db", withValue: true)?.Version, withValue: true);
        Assert.Equal(90, read.Settings.Read().RetentionDays);
        var roles = read.Roles.Version();

        var two = Version(VersionId(2), created: T0 + 1);
        Write(store, tx =>
        {
            tx.Objects.InsertVersion(tx.Objects.Find(Secret, "db")!, two);
            tx.Objects.Insert(Secret, "new", T0);
            Retention(tx, 7, true);
            tx.Roles.InsertDefinition(Definition("Reader"));
            tx.Audit.Insert(Record(seq: 1));
        });

        Same(one, read.Objects.FindLatest(Secret, "db", withValue: true)?.Version, withValue: true);
        Assert.Single(read.Objects.ListVersions(read.Objects.Find(Secret, "db")!, withValue: false));
        Assert.Null(read.Objects.Find(Secret, "new"));
        Assert.Equal(90, read.Settings.Read().RetentionDays);
        Assert.Equal(roles, read.Roles.Version());
        Assert.Empty(read.Roles.ReadDefinitions());
        Assert.Empty(read.Audit.Query(new AuditQuery()));

        // Outside the snapshot, the commit shows.
        Same(two, Read(store, tx => tx.Objects.FindLatest(Secret, "db", withValue: true))?.Version, withValue: true);
    }

    [Fact]
    public void CommittingAReadIsHarmless()
    {
        var vault = Settings();
        var store = Create(NewLocation(), vault);

        using (var read = store.BeginRead())
        {
            Assert.Equal(vault, read.Settings.Read());
            read.Commit();
        }

        using (var connection = store.Connect())
        {
            Assert.Equal(vault, connection.Settings.Read());
            connection.Commit();
        }

        // Neither left anything held: a write goes in and shows.
        Write(store, tx => Retention(tx, 30, false));
        Assert.Equal(vault with { RetentionDays = 30 }, Read(store, tx => tx.Settings.Read()));
    }

    // ---- settings ----------------------------------------------------------------------------

    [Fact]
    public void SettingsChangeOnlyWhereTheyAreUpdated()
    {
        var location = NewLocation();
        var vault = Settings();
        var store = Create(location, vault);
        Assert.Equal(vault, Read(store, tx => tx.Settings.Read()));

        Write(store, tx => Retention(tx, 7, true));
        Assert.Equal(vault with { RetentionDays = 7, PurgeProtection = true }, Read(store, tx => tx.Settings.Read()));

        Write(store, tx => KeyProtector(tx, """{"kind":"Pkcs11","label":"vault"}"""));
        var expected = vault with { RetentionDays = 7, PurgeProtection = true, KeyProtector = """{"kind":"Pkcs11","label":"vault"}""" };
        Assert.Equal(expected, Read(store, tx => tx.Settings.Read()));

        Write(store, tx => Retention(tx, 90, false));
        Assert.Equal(expected with { RetentionDays = 90, PurgeProtection = false }, Read(store, tx => tx.Settings.Read()));
        Assert.Equal(expected with { RetentionDays = 90, PurgeProtection = false }, Storage.ReadSettings(location));
    }

    // ---- keyring -----------------------------------------------------------------------------

    [Fact]
    public void TermsAreReadInTermOrderFromAfterTheOneGiven()
    {
        var store = Create(NewLocation(), Settings());
        Same([Term(1)], Read(store, tx => tx.Keyring.Read()));
        Assert.Equal(1, Read(store, tx => tx.Keyring.MaxTerm()));

        Write(store, tx => tx.Keyring.Insert(Term(3)));
        Write(store, tx => tx.Keyring.Insert(Term(2)));

        Same([Term(1), Term(2), Term(3)], Read(store, tx => tx.Keyring.Read()));
        Same([Term(1), Term(2), Term(3)], Read(store, tx => tx.Keyring.Read(afterTerm: 0)));
        Same([Term(2), Term(3)], Read(store, tx => tx.Keyring.Read(afterTerm: 1)));
        Same([Term(3)], Read(store, tx => tx.Keyring.Read(afterTerm: 2)));
        Assert.Empty(Read(store, tx => tx.Keyring.Read(afterTerm: 3)));
        Assert.Equal(3, Read(store, tx => tx.Keyring.MaxTerm()));
    }

    [Fact]
    public void ReWrappingATermReplacesItsWrapAndKeepsTheRest()
    {
        var store = Create(NewLocation(), Settings());
        Write(store, tx =>
        {
            tx.Keyring.Insert(Term(2));
            tx.Keyring.Insert(Term(3));
        });

        Write(store, tx => tx.Keyring.UpdateWrap(2, Bytes(40, 500), "CKM_AES_KEY_WRAP_KWP", Bytes(8, 501)));

        var rewrapped = Term(2) with { WrappedKey = Bytes(40, 500), Mechanism = "CKM_AES_KEY_WRAP_KWP", KeyCheck = Bytes(8, 501) };
        Same([Term(1), rewrapped, Term(3)], Read(store, tx => tx.Keyring.Read()));
    }

    [Fact]
    public void ATermThatExistsIsRefusedAndChangesNothing()
    {
        var store = Create(NewLocation(), Settings());
        Write(store, tx => tx.Keyring.Insert(Term(2)));

        using (var tx = store.BeginWrite())
        {
            tx.Keyring.Insert(Term(3));
            Assert.Throws<VaultException>(() => tx.Keyring.Insert(Term(2) with { WrappedKey = Bytes(44, 600), Purpose = "other" }));
        }

        Same([Term(1), Term(2)], Read(store, tx => tx.Keyring.Read()));
        Assert.Equal(2, Read(store, tx => tx.Keyring.MaxTerm()));
    }

    // ---- objects and versions ----------------------------------------------------------------

    [Fact]
    public void AnObjectIsFoundByItsNameInAnyCase()
    {
        var store = Create(NewLocation(), Settings());

        var db = Write(store, tx => tx.Objects.Insert(Secret, "db", T0));

        Assert.Equal(new ObjectRow(Secret, db.Id, "db", T0, null, null), db);
        Assert.Equal(db, Read(store, tx => tx.Objects.Find(Secret, "db")));
        Assert.Equal(db, Read(store, tx => tx.Objects.Find(Secret, "DB")));
        Assert.Null(Read(store, tx => tx.Objects.Find(Secret, "db2")));
        Assert.Null(Read(store, tx => tx.Objects.Find(Secret, "d")));
        Assert.Null(Read(store, tx => tx.Objects.FindLatest(Secret, "nothing", withValue: true)));
    }

    [Fact]
    public void ANameItsKindHoldsIsRefusedInAnyCase()
    {
        var store = Create(NewLocation(), Settings());
        var db = Write(store, tx => tx.Objects.Insert(Secret, "db", T0));
        var other = Write(store, tx => tx.Objects.Insert(Secret, "db-2", T0));
        Assert.NotEqual(db.Id, other.Id);

        foreach (var name in new[] { "db", "DB", "Db" })
        {
            using var tx = store.BeginWrite();
            Assert.Throws<VaultException>(() => tx.Objects.Insert(Secret, name, T0 + 1));
        }

        Assert.Equal(db, Read(store, tx => tx.Objects.Find(Secret, "DB")));
    }

    [Fact]
    public void TheLatestVersionIsTheOneWrittenLast()
    {
        var store = Create(NewLocation(), Settings());
        // Neither the version ids nor the creation times are in the order written.
        var first = Version(VersionId(0xc), created: T0 + 20);
        var second = Version(VersionId(0xa), created: T0 + 30);
        var third = Version(VersionId(0xb), created: T0 + 10) with { Enabled = false, NotBefore = null, Expires = null, ContentType = null, Tags = null };
        var db = Write(store, tx => tx.Objects.Insert(Secret, "db", T0));
        Assert.Null(Read(store, tx => tx.Objects.LatestVersion(db)));

        foreach (var version in new[] { first, second, third })
        {
            Write(store, tx => tx.Objects.InsertVersion(db, version));
        }

        var withValue = Read(store, tx => tx.Objects.FindLatest(Secret, "DB", withValue: true));
        Assert.Equal(db, withValue?.Object);
        Same(third, withValue?.Version, withValue: true);
        var withoutValue = Read(store, tx => tx.Objects.FindLatest(Secret, "db", withValue: false));
        Assert.Equal(db, withoutValue?.Object);
        Same(third, withoutValue?.Version, withValue: false);

        var latest = Read(store, tx => tx.Objects.LatestVersion(db));
        Assert.NotNull(latest);
        Same(third, latest with { Value = third.Value }, withValue: true);
        Assert.Equal(withValue?.Version.Seq, latest.Seq);
    }

    [Fact]
    public void AVersionIsFoundByItsIdWithinItsObjectOnly()
    {
        var store = Create(NewLocation(), Settings());
        var one = Version(VersionId(1));
        var two = Version(VersionId(2), created: T0 + 1);
        var stranger = Version(VersionId(3));
        var (db, other) = Write(store, tx =>
        {
            var db = tx.Objects.Insert(Secret, "db", T0);
            var other = tx.Objects.Insert(Secret, "other", T0);
            tx.Objects.InsertVersion(db, one);
            tx.Objects.InsertVersion(db, two);
            tx.Objects.InsertVersion(other, stranger);
            return (db, other);
        });

        Same(one, Read(store, tx => tx.Objects.GetVersion(db, one.Version, withValue: true)), withValue: true);
        Same(one, Read(store, tx => tx.Objects.GetVersion(db, one.Version, withValue: false)), withValue: false);
        Same(two, Read(store, tx => tx.Objects.GetVersion(db, two.Version, withValue: true)), withValue: true);
        Same(stranger, Read(store, tx => tx.Objects.GetVersion(other, stranger.Version, withValue: true)), withValue: true);
        Assert.Null(Read(store, tx => tx.Objects.GetVersion(db, stranger.Version, withValue: true)));
        Assert.Null(Read(store, tx => tx.Objects.GetVersion(db, VersionId(99), withValue: false)));
    }

    [Fact]
    public void AVersionIdTheObjectHoldsIsRefused()
    {
        var store = Create(NewLocation(), Settings());
        var one = Version(VersionId(1));
        var (db, other) = Write(store, tx =>
        {
            var db = tx.Objects.Insert(Secret, "db", T0);
            tx.Objects.InsertVersion(db, one);
            return (db, tx.Objects.Insert(Secret, "other", T0));
        });

        using (var tx = store.BeginWrite())
        {
            Assert.Throws<VaultException>(() => tx.Objects.InsertVersion(db, Version(VersionId(1), created: T0 + 5) with { Value = Bytes(16, 1) }));
        }

        // Another object may hold the same id.
        Write(store, tx => tx.Objects.InsertVersion(other, Version(VersionId(1), created: T0 + 5)));
        Same(one, Read(store, tx => tx.Objects.GetVersion(db, one.Version, withValue: true)), withValue: true);
        Assert.Single(Read(store, tx => tx.Objects.ListVersions(db, withValue: false).ToList()));
    }

    [Fact]
    public void UpdatingAttributesNeverTouchesTheValueTermOrCreation()
    {
        var store = Create(NewLocation(), Settings());
        Write(store, tx => tx.Keyring.Insert(Term(2)));
        var one = Version(VersionId(1));
        var two = Version(VersionId(2), created: T0 + 1);
        var db = Write(store, tx =>
        {
            var db = tx.Objects.Insert(Secret, "db", T0);
            tx.Objects.InsertVersion(db, one);
            tx.Objects.InsertVersion(db, two);
            return db;
        });

        var changed = one with
        {
            Enabled = false,
            NotBefore = null,
            Expires = T0 + 5_000,
            ContentType = null,
            Tags = """{"env":"prod"}""",
            Updated = T0 + 100,
        };
        // What an update must not reach, offered anyway.
        Write(store, tx => tx.Objects.UpdateVersionAttributes(db, changed with { Created = T0 + 999, Term = 2, Value = Bytes(16, 9) }));

        Same(changed, Read(store, tx => tx.Objects.GetVersion(db, one.Version, withValue: true)), withValue: true);
        Same(two, Read(store, tx => tx.Objects.GetVersion(db, two.Version, withValue: true)), withValue: true);
        // Changing attributes writes no version: the latest is still the one written last.
        Same(two, Read(store, tx => tx.Objects.FindLatest(Secret, "db", withValue: true))?.Version, withValue: true);
    }

    [Fact]
    public void VersionsAreListedNewestFirstOrOldestFirst()
    {
        var store = Create(NewLocation(), Settings());
        var versions = new[] { Version(VersionId(0xc), created: T0 + 20), Version(VersionId(0xa), created: T0 + 30), Version(VersionId(0xb), created: T0 + 10) };
        var db = Write(store, tx =>
        {
            var db = tx.Objects.Insert(Secret, "db", T0);
            var other = tx.Objects.Insert(Secret, "other", T0);
            foreach (var version in versions)
            {
                tx.Objects.InsertVersion(db, version);
                tx.Objects.InsertVersion(other, version with { Version = version.Version.Replace('0', '1') });
            }

            return db;
        });

        var newest = Read(store, tx => tx.Objects.ListVersions(db, withValue: true).ToList());
        var oldest = Read(store, tx => tx.Objects.ListVersions(db, withValue: false, oldestFirst: true).ToList());

        Assert.Equal(3, newest.Count);
        Assert.Equal(3, oldest.Count);
        for (var i = 0; i < 3; i++)
        {
            Same(versions[2 - i], newest[i], withValue: true);
            Same(versions[i], oldest[i], withValue: false);
        }

        // Seq grows in the order written, and names the same version in either listing.
        Assert.True(oldest[0].Seq < oldest[1].Seq && oldest[1].Seq < oldest[2].Seq);
        Assert.Equal(oldest.Select(v => v.Seq).Reverse(), newest.Select(v => v.Seq));
        Assert.Equal(oldest.Select(v => v.Seq), Read(store, tx => tx.Objects.ListVersions(db, withValue: true, oldestFirst: true).Select(v => v.Seq).ToList()));
    }

    [Fact]
    public void LiveObjectsAreListedByNameIgnoringCaseEachWithItsLatestVersion()
    {
        var store = Create(NewLocation(), Settings());
        var objects = Write(store, tx => Populate(tx, "b", "A-b", "a-c", "a1", "ab", "C", "gone"));
        var newer = Version(VersionId(0xff), created: T0 - 1);
        Write(store, tx =>
        {
            tx.Objects.InsertVersion(objects["ab"], newer);
            tx.Objects.MarkDeleted(objects["gone"], T0 + 10, T0 + 20);
        });

        var live = Read(store, tx => tx.Objects.ListLatest(Secret, deleted: false, namePrefix: "").ToList());

        // Ordered by the names folded to one case, character by character: '-' before digits before letters.
        Assert.Equal(["A-b", "a-c", "a1", "ab", "b", "C"], live.Select(l => l.Object.Name));
        foreach (var (obj, version) in live)
        {
            Assert.Equal(objects[obj.Name], obj);
            Same(obj.Name == "ab" ? newer : Version(VersionId(obj.Name.Length)), version, withValue: false);
        }

        var deleted = Read(store, tx => tx.Objects.ListLatest(Secret, deleted: true, namePrefix: "").ToList());
        var (gone, goneVersion) = Assert.Single(deleted);
        Assert.Equal(objects["gone"] with { Deleted = T0 + 10, ScheduledPurge = T0 + 20 }, gone);
        Same(Version(VersionId(4)), goneVersion, withValue: false);
    }

    [Fact]
    public void AListingsPrefixMatchesInAnyCaseAndLiterally()
    {
        var store = Create(NewLocation(), Settings());
        Write(store, tx => Populate(tx, "b", "A-b", "a-c", "a1", "ab", "axb", "C"));

        List<string> Names(string prefix) => Read(store, tx => tx.Objects.ListLatest(Secret, deleted: false, prefix).Select(l => l.Object.Name).ToList());

        Assert.Equal(["A-b", "a-c", "a1", "ab", "axb"], Names("a"));
        Assert.Equal(["A-b", "a-c", "a1", "ab", "axb"], Names("A"));
        Assert.Equal(["A-b", "a-c"], Names("a-"));
        Assert.Equal(["ab"], Names("AB"));
        Assert.Equal(["C"], Names("c"));
        Assert.Empty(Names("d"));
        // A pattern's special characters are characters: none of these names starts with them.
        Assert.Empty(Names("a_"));
        Assert.Empty(Names("_"));
        Assert.Empty(Names("%"));
        Assert.Empty(Names("a%"));
        Assert.Empty(Names("a%b"));
        Assert.Empty(Names("a*"));
        Assert.Empty(Names("a?"));
        Assert.Empty(Names("a["));
        Assert.Empty(Names("\\"));
        Assert.Empty(Names("a\\"));
    }

    [Fact]
    public void AListingContinuesStrictlyAfterTheNameGivenInAnyCase()
    {
        var store = Create(NewLocation(), Settings());
        var objects = Write(store, tx => Populate(tx, "b", "A-b", "a-c", "a1", "ab", "C", "gone-1", "gone-2"));
        Write(store, tx =>
        {
            tx.Objects.MarkDeleted(objects["gone-1"], T0, T0 + 1);
            tx.Objects.MarkDeleted(objects["gone-2"], T0, T0 + 1);
        });

        List<string> Names(string prefix, string after, bool deleted = false) =>
            Read(store, tx => tx.Objects.ListLatest(Secret, deleted, prefix, after).Select(l => l.Object.Name).ToList());

        Assert.Equal(["a1", "ab", "b", "C"], Names("", "a-c"));
        Assert.Equal(["a1", "ab", "b", "C"], Names("", "A-C"));
        Assert.Equal(["C"], Names("", "B"));
        // A name that is not there continues from where it would be: "A-b" comes after "a-".
        Assert.Equal(["A-b", "a-c", "a1", "ab", "b", "C"], Names("", "a-"));
        Assert.Equal(["b", "C"], Names("", "AZ"));
        Assert.Empty(Names("", "c"));
        Assert.Equal(["ab"], Names("a", "A1"));
        Assert.Empty(Names("a", "ab"));
        Assert.Equal(["gone-2"], Names("gone", "GONE-1", deleted: true));

        // Pages of two, each after the last name of the one before, make up the whole listing.
        var pages = new List<string>();
        string? last = null;
        while (true)
        {
            var page = Read(store, tx => tx.Objects.ListLatest(Secret, deleted: false, "", last).Take(2).Select(l => l.Object.Name).ToList());
            if (page.Count == 0)
            {
                break;
            }

            pages.AddRange(page);
            last = page[^1].ToUpperInvariant();
        }

        Assert.Equal(["A-b", "a-c", "a1", "ab", "b", "C"], pages);
    }

    [Fact]
    public void ADeletedObjectIsKeptAsideUntilRecovered()
    {
        var store = Create(NewLocation(), Settings());
        var objects = Write(store, tx => Populate(tx, "db", "other"));
        var db = objects["db"];

        Write(store, tx => tx.Objects.MarkDeleted(db, T0 + 10, T0 + 10 + 86_400_000));

        var deleted = db with { Deleted = T0 + 10, ScheduledPurge = T0 + 10 + 86_400_000 };
        Assert.True(deleted.IsDeleted);
        Assert.Equal(deleted, Read(store, tx => tx.Objects.Find(Secret, "DB")));
        Assert.Equal(deleted, Read(store, tx => tx.Objects.FindLatest(Secret, "db", withValue: false))?.Object);
        Assert.Equal(["other"], ListNames(store, deleted: false));
        Assert.Equal(["db"], ListNames(store, deleted: true));
        Assert.Equal(objects["other"], Read(store, tx => tx.Objects.Find(Secret, "other")));

        Write(store, tx => tx.Objects.MarkRecovered(deleted));

        Assert.Equal(db, Read(store, tx => tx.Objects.Find(Secret, "db")));
        Assert.False(Read(store, tx => tx.Objects.Find(Secret, "db"))!.IsDeleted);
        Assert.Equal(["db", "other"], ListNames(store, deleted: false));
        Assert.Empty(ListNames(store, deleted: true));
        Assert.Single(Read(store, tx => tx.Objects.ListVersions(db, withValue: false).ToList()));
    }

    [Fact]
    public void DeletingAnObjectTakesEveryVersionWithIt()
    {
        var store = Create(NewLocation(), Settings());
        var one = Version(VersionId(1));
        var (db, other) = Write(store, tx =>
        {
            var db = tx.Objects.Insert(Secret, "db", T0);
            tx.Objects.InsertVersion(db, one);
            tx.Objects.InsertVersion(db, Version(VersionId(2)));
            var other = tx.Objects.Insert(Secret, "other", T0);
            tx.Objects.InsertVersion(other, Version(VersionId(1)));
            return (db, other);
        });

        Write(store, tx => tx.Objects.Delete(db));

        Assert.Null(Read(store, tx => tx.Objects.Find(Secret, "db")));
        Assert.Null(Read(store, tx => tx.Objects.FindLatest(Secret, "db", withValue: false)));
        Assert.Null(Read(store, tx => tx.Objects.GetVersion(db, one.Version, withValue: false)));
        Assert.Empty(Read(store, tx => tx.Objects.ListVersions(db, withValue: false).ToList()));
        Assert.Equal(1, Read(store, tx => tx.Objects.CountVersionsBelowTerm(Secret, 2)));
        Assert.Equal(["other"], ListNames(store, deleted: false));
        Assert.Single(Read(store, tx => tx.Objects.ListVersions(other, withValue: false).ToList()));

        // The name is free again, and nothing of the old object comes with it.
        var again = Write(store, tx => tx.Objects.Insert(Secret, "DB", T0 + 1));
        Assert.Null(Read(store, tx => tx.Objects.LatestVersion(again)));
        Assert.Empty(Read(store, tx => tx.Objects.ListVersions(again, withValue: false).ToList()));
    }

    [Fact]
    public void PurgingDeletesExactlyTheObjectsWhoseRetentionHasEnded()
    {
        const long Now = T0 + 1_000_000;
        var store = Create(NewLocation(), Settings());
        var objects = Write(store, tx => Populate(tx, "live", "past", "now", "future"));
        Write(store, tx =>
        {
            tx.Objects.MarkDeleted(objects["past"], T0, Now - 1);
            tx.Objects.MarkDeleted(objects["now"], T0, Now);
            tx.Objects.MarkDeleted(objects["future"], T0, Now + 1);
        });

        Assert.Equal(2, Write(store, tx => tx.Objects.PurgeExpired(Now).Count));

        Assert.Null(Read(store, tx => tx.Objects.Find(Secret, "past")));
        Assert.Null(Read(store, tx => tx.Objects.Find(Secret, "now")));
        Assert.Equal(["future"], ListNames(store, deleted: true));
        Assert.Equal(["live"], ListNames(store, deleted: false));
        Assert.Equal(2, Read(store, tx => tx.Objects.CountVersionsBelowTerm(Secret, 2)));
        Assert.Equal(0, Write(store, tx => tx.Objects.PurgeExpired(Now).Count));
        Assert.Equal(1, Write(store, tx => tx.Objects.PurgeExpired(Now + 1).Count));
        Assert.Empty(ListNames(store, deleted: true));
    }

    [Fact]
    public void RetentionStateCountsLiveObjectsAndTheLastPurgeStillAhead()
    {
        const long Now = T0 + 1_000_000;
        var store = Create(NewLocation(), Settings());
        Assert.Equal((0L, (long?)null), Read(store, tx => tx.Objects.RetentionState(Now)));

        var objects = Write(store, tx => Populate(tx, "l1", "l2", "expired", "at-now", "soon", "later"));
        Write(store, tx =>
        {
            tx.Objects.MarkDeleted(objects["expired"], T0, Now - 5);
            tx.Objects.MarkDeleted(objects["at-now"], T0, Now);
            tx.Objects.MarkDeleted(objects["soon"], T0, Now + 10);
            tx.Objects.MarkDeleted(objects["later"], T0, Now + 20);
        });

        Assert.Equal((2L, (long?)(Now + 20)), Read(store, tx => tx.Objects.RetentionState(Now)));
        Assert.Equal((2L, (long?)(Now + 20)), Read(store, tx => tx.Objects.RetentionState(Now + 10)));
        Assert.Equal((2L, (long?)null), Read(store, tx => tx.Objects.RetentionState(Now + 20)));

        Write(store, tx => tx.Objects.MarkRecovered(objects["later"]));
        Assert.Equal((3L, (long?)(Now + 10)), Read(store, tx => tx.Objects.RetentionState(Now)));
    }

    [Fact]
    public void VersionsUnderOlderTermsAreCountedAndWalkedBySeq()
    {
        var store = Create(NewLocation(), Settings());
        var written = Write(store, tx =>
        {
            tx.Keyring.Insert(Term(2));
            tx.Keyring.Insert(Term(3));
            var a = tx.Objects.Insert(Secret, "a", T0);
            var b = tx.Objects.Insert(Secret, "b", T0);
            var c = tx.Objects.Insert(Secret, "c", T0);
            var order = new (ObjectRow Object, VersionRow Version)[]
            {
                (a, Version(VersionId(1), term: 1)),
                (b, Version(VersionId(1), term: 2)),
                (a, Version(VersionId(2), term: 3)),
                (c, Version(VersionId(1), term: 1)),
                (b, Version(VersionId(2), term: 2)),
            };
            foreach (var (obj, version) in order)
            {
                tx.Objects.InsertVersion(obj, version);
            }

            return order.Select(w => Sealed(tx, w.Object, w.Version)).ToList();
        });

        Assert.Equal(0, Read(store, tx => tx.Objects.CountVersionsBelowTerm(Secret, 1)));
        Assert.Equal(2, Read(store, tx => tx.Objects.CountVersionsBelowTerm(Secret, 2)));
        Assert.Equal(4, Read(store, tx => tx.Objects.CountVersionsBelowTerm(Secret, 3)));
        Assert.Equal(5, Read(store, tx => tx.Objects.CountVersionsBelowTerm(Secret, 4)));

        var below3 = written.Where(w => w.Term < 3).ToList();
        var page1 = Read(store, tx => tx.Objects.VersionsBelowTerm(Secret, 3, afterSeq: 0, limit: 2));
        var page2 = Read(store, tx => tx.Objects.VersionsBelowTerm(Secret, 3, afterSeq: page1[^1].Seq, limit: 2));
        var page3 = Read(store, tx => tx.Objects.VersionsBelowTerm(Secret, 3, afterSeq: page2[^1].Seq, limit: 2));
        var walked = page1.Concat(page2).Concat(page3).ToList();
        Assert.Equal([2, 2, 0], new[] { page1.Count, page2.Count, page3.Count });
        Assert.Equal(below3.Count, walked.Count);
        for (var i = 0; i < walked.Count; i++)
        {
            Same(below3[i], walked[i]);
        }

        Assert.Equal(["c"], Read(store, tx => tx.Objects.VersionsBelowTerm(Secret, 2, afterSeq: written[0].Seq, limit: 10)).Select(v => v.Name));
        Assert.Empty(Read(store, tx => tx.Objects.VersionsBelowTerm(Secret, 1, afterSeq: 0, limit: 10)));
    }

    [Fact]
    public void AVersionIsResealedOnlyWhileStillUnderItsOldTerm()
    {
        var store = Create(NewLocation(), Settings());
        var one = Version(VersionId(1), term: 1);
        var (db, old) = Write(store, tx =>
        {
            tx.Keyring.Insert(Term(2));
            tx.Keyring.Insert(Term(3));
            var db = tx.Objects.Insert(Secret, "db", T0);
            tx.Objects.InsertVersion(db, one);
            tx.Objects.InsertVersion(db, Version(VersionId(2), term: 1));
            return (db, Sealed(tx, db, one));
        });

        Write(store, tx => tx.Objects.Reseal(old, 2, Bytes(24, 2)));

        Same(one with { Term = 2, Value = Bytes(24, 2) }, Read(store, tx => tx.Objects.GetVersion(db, one.Version, withValue: true)), withValue: true);
        Assert.Equal(1, Read(store, tx => tx.Objects.CountVersionsBelowTerm(Secret, 2)));

        // A reseal from a stale read (someone else resealed it since) changes nothing.
        Write(store, tx => tx.Objects.Reseal(old, 3, Bytes(24, 3)));

        Same(one with { Term = 2, Value = Bytes(24, 2) }, Read(store, tx => tx.Objects.GetVersion(db, one.Version, withValue: true)), withValue: true);
        Same(Version(VersionId(2), term: 1), Read(store, tx => tx.Objects.GetVersion(db, VersionId(2), withValue: true)), withValue: true);
    }

    // ---- roles -------------------------------------------------------------------------------

    [Fact]
    public void TheRoleVersionMovesWithEveryChangeAndOnlyThen()
    {
        var location = NewLocation();
        var store = Create(location, Settings());
        var other = Open(location);
        var seen = new List<long> { Read(store, tx => tx.Roles.Version()) };
        void Moved()
        {
            var now = Read(store, tx => tx.Roles.Version());
            Assert.True(now > seen[^1], $"The role version stayed at {now} after a change.");
            // Another process sees the change by the version alone.
            Assert.Equal(now, Read(other, tx => tx.Roles.Version()));
            seen.Add(now);
        }

        var reader = Definition("Reader");
        var assignment = Assignment("uid:2000", role: reader.Id);
        Write(store, tx => tx.Roles.InsertDefinition(reader));
        Moved();
        Write(store, tx => tx.Roles.InsertAssignment(assignment));
        Moved();

        Write(store, tx =>
        {
            _ = tx.Roles.ReadDefinitions();
            _ = tx.Roles.ReadAssignments();
            _ = tx.Roles.Version();
        });
        Assert.Equal(seen[^1], Read(store, tx => tx.Roles.Version()));

        Write(store, tx => tx.Roles.DeleteAssignment(assignment.Id));
        Moved();
        Write(store, tx => tx.Roles.DeleteDefinition(reader.Id));
        Moved();
    }

    [Fact]
    public void DefinitionsAreReadByNameIgnoringCase()
    {
        var store = Create(NewLocation(), Settings());
        var rows = new[] { Definition("beta"), Definition("Alpha", T0 + 3), Definition("gamma", T0 - 3), Definition("Delta") with { Description = null } };
        foreach (var row in rows)
        {
            Write(store, tx => tx.Roles.InsertDefinition(row));
        }

        Assert.Equal([rows[1], rows[0], rows[3], rows[2]], Read(store, tx => tx.Roles.ReadDefinitions()));
    }

    [Fact]
    public void ADefinitionNameHeldInAnyCaseIsRefused()
    {
        var store = Create(NewLocation(), Settings());
        var reader = Definition("Reader");
        Write(store, tx => tx.Roles.InsertDefinition(reader));
        var version = Read(store, tx => tx.Roles.Version());

        foreach (var name in new[] { "Reader", "READER", "reader" })
        {
            using var tx = store.BeginWrite();
            Assert.Throws<VaultException>(() => tx.Roles.InsertDefinition(Definition(name)));
        }

        Assert.Equal([reader], Read(store, tx => tx.Roles.ReadDefinitions()));
        Assert.Equal(version, Read(store, tx => tx.Roles.Version()));
    }

    [Fact]
    public void AssignmentsAreReadInTheOrderTheyWereMade()
    {
        var creator = Assignment("uid:1000");
        var store = Create(NewLocation(), Settings(), Term(1), creator);
        // Made in the same millisecond, with ids that sort against the order made.
        var made = new[]
        {
            Assignment("uid:2000", created: T0 + 1, id: Guid.Parse("ffffffff-0000-0000-0000-000000000000")),
            Assignment("uid:3000", "/secrets/db", created: T0 + 1, id: Guid.Parse("00000000-0000-0000-0000-000000000001")),
            Assignment("uid:4000", created: T0 + 1, id: Guid.Parse("88888888-0000-0000-0000-000000000000")) with { PrincipalName = null, PrincipalType = "Group" },
            Assignment("uid:5000", created: T0 + 2, id: Guid.Parse("00000000-0000-0000-0000-000000000000")),
        };
        foreach (var row in made)
        {
            Write(store, tx => tx.Roles.InsertAssignment(row));
        }

        Assert.Equal([creator, .. made], Read(store, tx => tx.Roles.ReadAssignments()));
    }

    [Fact]
    public void TheSamePrincipalRoleAndScopeTwiceIsRefused()
    {
        var store = Create(NewLocation(), Settings(), Term(1), Assignment("uid:1000"));
        var reader = Guid.NewGuid();
        var first = Assignment("uid:2000", "/secrets/db", reader);
        Write(store, tx => tx.Roles.InsertAssignment(first));

        foreach (var again in new[] { first with { Id = Guid.NewGuid() }, Assignment("UID:2000", "/SECRETS/DB", reader, T0 + 5) })
        {
            using var tx = store.BeginWrite();
            Assert.Throws<VaultException>(() => tx.Roles.InsertAssignment(again));
        }

        // Any one of the three different is another assignment.
        var others = new[] { Assignment("uid:2000", "/secrets/db"), Assignment("uid:2000", "/", reader), Assignment("uid:3000", "/secrets/db", reader) };
        foreach (var row in others)
        {
            Write(store, tx => tx.Roles.InsertAssignment(row));
        }

        Assert.Equal(["uid:1000", "uid:2000", "uid:2000", "uid:2000", "uid:3000"], Read(store, tx => tx.Roles.ReadAssignments()).Select(a => a.PrincipalId));
    }

    [Fact]
    public void DeletingADefinitionOrAnAssignmentRemovesOnlyThatOne()
    {
        var creator = Assignment("uid:1000");
        var store = Create(NewLocation(), Settings(), Term(1), creator);
        var reader = Definition("Reader");
        var writer = Definition("Writer");
        var granted = Assignment("uid:2000", role: reader.Id);
        var kept = Assignment("uid:3000", role: writer.Id);
        Write(store, tx =>
        {
            tx.Roles.InsertDefinition(reader);
            tx.Roles.InsertDefinition(writer);
            tx.Roles.InsertAssignment(granted);
            tx.Roles.InsertAssignment(kept);
        });

        Write(store, tx => tx.Roles.DeleteAssignment(granted.Id));
        Assert.Equal([creator, kept], Read(store, tx => tx.Roles.ReadAssignments()));

        Write(store, tx => tx.Roles.DeleteDefinition(reader.Id));
        Assert.Equal([writer], Read(store, tx => tx.Roles.ReadDefinitions()));
        Assert.Equal([creator, kept], Read(store, tx => tx.Roles.ReadAssignments()));
    }

    // ---- audit -------------------------------------------------------------------------------

    [Fact]
    public void EachRecordGetsAnIdAfterTheLast()
    {
        var store = Create(NewLocation(), Settings());
        var ids = new List<long>();
        Write(store, tx =>
        {
            ids.Add(tx.Audit.Insert(Record(seq: 1)));
            ids.Add(tx.Audit.Insert(Record(seq: null)));
        });
        Write(store, tx => ids.Add(tx.Audit.Insert(Record(seq: 2))));

        Assert.True(ids[0] < ids[1] && ids[1] < ids[2], $"Ids {string.Join(", ", ids)} are not increasing.");
        Assert.Equal(ids.AsEnumerable().Reverse(), Read(store, tx => tx.Audit.Query(new AuditQuery()).Select(r => r.Id).ToList()));
    }

    [Fact]
    public void AQueryReturnsEveryFieldAsWritten()
    {
        var store = Create(NewLocation(), Settings());
        var rows = new[]
        {
            Record(seq: 1),
            Record(seq: null, callerName: null, callerId: null, objectName: null, target: null, correlationId: null) with
            {
                CallerType = null, Description = null, Client = null, Properties = null,
            },
            Record(seq: 2, operation: "SecretSet", resultType: "Denied"),
        };
        var written = Write(store, tx => rows.Select(r => r with { Id = tx.Audit.Insert(r) }).ToList());

        var read = Read(store, tx => tx.Audit.Query(new AuditQuery { OldestFirst = true }).ToList());

        Assert.Equal(written.Count, read.Count);
        for (var i = 0; i < read.Count; i++)
        {
            Same(written[i], read[i]);
        }
    }

    [Fact]
    public void EachQueryFilterKeepsOnlyItsRecordsNewestFirst()
    {
        var store = Create(NewLocation(), Settings());
        var (ids, _) = AuditFixture(store);
        long[] Ids(params int[] records) => records.Select(r => ids[r]).ToArray();
        long[] Query(AuditQuery query) => Read(store, tx => tx.Audit.Query(query).Select(r => r.Id).ToArray());

        Assert.Equal(Ids(6, 5, 4, 3, 2, 1), Query(new AuditQuery()));
        Assert.Equal(Ids(1, 2, 3, 4, 5, 6), Query(new AuditQuery { OldestFirst = true }));
        Assert.Equal(Ids(3, 2, 1), Query(new AuditQuery { BeforeId = ids[4] }));
        Assert.Equal(Ids(1, 2, 3), Query(new AuditQuery { BeforeId = ids[4], OldestFirst = true }));

        // A time range is inclusive at both ends.
        Assert.Equal(Ids(4, 3, 2), Query(new AuditQuery { Start = T0 + 1000, End = T0 + 2000 }));
        Assert.Equal(Ids(6, 5, 4, 3), Query(new AuditQuery { Start = T0 + 2000 }));
        Assert.Equal(Ids(1), Query(new AuditQuery { End = T0 + 999 }));
        Assert.Empty(Query(new AuditQuery { Start = T0 + 1001, End = T0 + 1999 }));

        // Names and ids of callers, and object names, compare in any case.
        Assert.Equal(Ids(5, 3, 1), Query(new AuditQuery { CallerName = "user-alice" }));
        Assert.Equal(Ids(5, 3, 1), Query(new AuditQuery { CallerName = "USER-ALICE" }));
        Assert.Equal(Ids(2), Query(new AuditQuery { CallerName = "User-Bob" }));
        Assert.Empty(Query(new AuditQuery { CallerName = "user-al" }));
        Assert.Equal(Ids(5, 3, 1), Query(new AuditQuery { CallerId = "uid:1000" }));
        Assert.Equal(Ids(5, 3, 1), Query(new AuditQuery { CallerId = "UID:1000" }));
        Assert.Equal(Ids(4), Query(new AuditQuery { CallerId = "uid:3000" }));

        Assert.Equal(Ids(3, 1), Query(new AuditQuery { Operation = "SecretGet" }));
        Assert.Equal(Ids(4), Query(new AuditQuery { Operation = "AuditLogRead" }));

        Assert.Equal(Ids(3, 2, 1), Query(new AuditQuery { ObjectName = "db" }));
        Assert.Equal(Ids(3, 2, 1), Query(new AuditQuery { ObjectName = "DB" }));
        Assert.Equal(Ids(5), Query(new AuditQuery { ObjectName = "db-old" }));
        Assert.Empty(Query(new AuditQuery { ObjectName = "d" }));
        // With a kind, only records whose target is in that kind's collection (record 3 is a key's).
        Assert.Equal(Ids(2, 1), Query(new AuditQuery { ObjectName = "db", ObjectKind = ObjectKind.Secret }));
        Assert.Equal(Ids(5), Query(new AuditQuery { ObjectName = "DB-OLD", ObjectKind = ObjectKind.Secret }));

        Assert.Equal(Ids(6, 5, 3, 1), Query(new AuditQuery { ResultType = "Success" }));
        Assert.Equal(Ids(2), Query(new AuditQuery { ResultType = "Denied" }));
        Assert.Equal(Ids(4), Query(new AuditQuery { ResultType = "Failed" }));

        Assert.Equal(Ids(2, 1), Query(new AuditQuery { CorrelationId = CorrelationOne }));
        Assert.Equal(Ids(5, 3), Query(new AuditQuery { CorrelationId = CorrelationTwo }));
        Assert.Empty(Query(new AuditQuery { CorrelationId = Guid.NewGuid().ToString("D") }));

        // Last keeps the first so many in the order asked for, after every other filter.
        Assert.Equal(Ids(6, 5), Query(new AuditQuery { Last = 2 }));
        Assert.Equal(Ids(1, 2), Query(new AuditQuery { Last = 2, OldestFirst = true }));
        Assert.Equal(Ids(5, 3), Query(new AuditQuery { Last = 2, CallerId = "uid:1000" }));
        Assert.Equal(Ids(6, 5, 4, 3, 2, 1), Query(new AuditQuery { Last = 100 }));

        // Filters combine.
        Assert.Equal(Ids(3), Query(new AuditQuery { CallerName = "user-alice", Operation = "SecretGet", Start = T0 + 1 }));
        Assert.Equal(Ids(1), Query(new AuditQuery { CallerName = "user-alice", ObjectName = "db", ObjectKind = ObjectKind.Secret, BeforeId = ids[3] }));
        Assert.Empty(Query(new AuditQuery { CallerName = "user-bob", ResultType = "Success" }));
    }

    [Fact]
    public void SequenceNumbersAreCountedAndUnique()
    {
        var store = Create(NewLocation(), Settings());
        Assert.Equal(0, Read(store, tx => tx.Audit.MaxSeq()));
        Assert.Equal(0, Read(store, tx => tx.Audit.CountUnchained()));
        Assert.False(Read(store, tx => tx.Audit.SeqExists(1)));

        Write(store, tx =>
        {
            tx.Audit.Insert(Record(seq: 1));
            tx.Audit.Insert(Record(seq: null));
            tx.Audit.Insert(Record(seq: 2));
            tx.Audit.Insert(Record(seq: 5));
            tx.Audit.Insert(Record(seq: null));
        });

        Assert.Equal(5, Read(store, tx => tx.Audit.MaxSeq()));
        Assert.Equal(2, Read(store, tx => tx.Audit.CountUnchained()));
        Assert.Equal([true, true, false, false, true, false], Read(store, tx => new[] { 1L, 2, 3, 4, 5, 6 }.Select(tx.Audit.SeqExists).ToList()));

        using (var tx = store.BeginWrite())
        {
            Assert.Throws<VaultException>(() => tx.Audit.Insert(Record(seq: 2, operation: "SecretSet")));
        }

        Assert.Equal(5, Read(store, tx => tx.Audit.Query(new AuditQuery()).Count()));
        Assert.Equal(["SecretGet"], Read(store, tx => tx.Audit.Query(new AuditQuery()).Where(r => r.Seq == 2).Select(r => r.Operation).ToList()));
    }

    [Fact]
    public void TheHeadIsAbsentUntilWrittenThenReadAndLockedAsLastWritten()
    {
        var store = Create(NewLocation(), Settings());
        Assert.Null(Read(store, tx => tx.Audit.ReadHead()));
        using (var tx = store.BeginWrite())
        {
            Assert.Null(tx.Audit.LockHead());
        }

        Write(store, tx => tx.Audit.WriteHead(Head(1, T0 + 1)));

        Same(Head(1, T0 + 1), Read(store, tx => tx.Audit.ReadHead()));
        using (var tx = store.BeginWrite())
        {
            Same(Head(1, T0 + 1), tx.Audit.LockHead());
            tx.Audit.WriteHead(Head(2, T0 + 2));
            Same(Head(2, T0 + 2), tx.Audit.ReadHead());
            tx.Commit();
        }

        Same(Head(2, T0 + 2), Read(store, tx => tx.Audit.ReadHead()));
        using (var tx = store.BeginWrite())
        {
            Same(Head(2, T0 + 2), tx.Audit.LockHead());
            tx.Audit.WriteHead(Head(3, T0 + 3));
        }

        Same(Head(2, T0 + 2), Read(store, tx => tx.Audit.ReadHead()));
    }

    [Fact]
    public void TheChainIsEveryChainedRecordInTheOrderWrittenFieldByField()
    {
        var store = Create(NewLocation(), Settings());
        // Written out of sequence on purpose: a verifier must see the order written to find it.
        var rows = new[]
        {
            Record(seq: 1),
            Record(seq: null, operation: "SecretSet"),
            Record(seq: 3, operation: "SecretDelete", resultType: "Failed"),
            Record(seq: 2, callerName: null, callerId: null, objectName: null, target: null, correlationId: null) with
            {
                CallerType = null, Description = null, Client = null, Properties = null,
            },
            Record(seq: null, operation: "VaultOpen"),
        };
        Write(store, tx =>
        {
            foreach (var row in rows)
            {
                tx.Audit.Insert(row);
            }
        });

        var chained = new List<AuditRow>();
        using (var db = store.Connect())
        using (var chain = db.Audit.ReadChain())
        {
            while (chain.Next())
            {
                chained.Add(FromChain(chain));
            }
        }

        var expected = rows.Where(r => r.Seq is not null).ToList();
        Assert.Equal([1L, 3, 2], chained.Select(r => r.Seq!.Value));
        for (var i = 0; i < expected.Count; i++)
        {
            Same(expected[i], chained[i]);
        }
    }

    // ---- writers at once ---------------------------------------------------------------------

    [Fact]
    public void AppendersEachWithTheirOwnStoreChainWithoutGapOrDuplicate()
    {
        var location = NewLocation();
        Create(location, Settings());
        var own = Enumerable.Range(0, Appenders).Select(_ => Open(location)).ToList();

        AppendAtOnce(w => own[w]);

        AssertChainedOneByOne(own[0], Appenders * AppendsEach);
    }

    [Fact]
    public void AppendersSharingOneStoreChainWithoutGapOrDuplicate()
    {
        var store = Create(NewLocation(), Settings());

        AppendAtOnce(_ => store);

        AssertChainedOneByOne(store, Appenders * AppendsEach);
    }

    [Fact]
    public void WritersAtOnceOnOneObjectLoseNoVersion()
    {
        const int Writers = 4;
        const int VersionsEach = 25;
        var location = NewLocation();
        var first = Create(location, Settings());
        Write(first, tx => tx.Objects.Insert(Secret, "shared", T0));
        var own = Enumerable.Range(0, Writers).Select(w => w == 0 ? first : Open(location)).ToList();

        RunAtOnce(Writers, w =>
        {
            for (var i = 0; i < VersionsEach; i++)
            {
                using var tx = own[w].BeginWrite();
                var shared = tx.Objects.Find(Secret, "shared")!;
                tx.Objects.InsertVersion(shared, Version(VersionId((w * 1000) + i), created: T0 + i));
                tx.Commit();
            }
        });

        var shared = Read(first, tx => tx.Objects.Find(Secret, "shared"))!;
        var versions = Read(first, tx => tx.Objects.ListVersions(shared, withValue: true, oldestFirst: true).ToList());
        var written = Enumerable.Range(0, Writers).Select(w => Enumerable.Range(0, VersionsEach).Select(i => VersionId((w * 1000) + i)).ToList()).ToList();
        Assert.Equal(written.SelectMany(w => w).Order(StringComparer.Ordinal), versions.Select(v => v.Version).Order(StringComparer.Ordinal));
        Assert.Equal(versions.Count, versions.Select(v => v.Seq).Distinct().Count());
        // Each writer's versions went in in the order it wrote them.
        foreach (var mine in written)
        {
            Assert.Equal(mine, versions.Select(v => v.Version).Where(mine.Contains));
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private const int Appenders = 6;
    private const int AppendsEach = 25;
    private const string CorrelationOne = "11111111-2222-4333-8444-555555555555";
    private const string CorrelationTwo = "66666666-7777-4888-8999-aaaaaaaaaaaa";

    private IVaultStore Create(VaultLocation location, VaultRow vault) => Create(location, vault, Term(1), Assignment("uid:1000"));

    private IVaultStore Create(VaultLocation location, VaultRow vault, KeyringRow firstTerm, RoleAssignmentRow creator, Action<IVaultTransaction>? record = null)
    {
        var store = Storage.Create(location, vault, firstTerm, creator, record ?? (_ => { }));
        stores.Add(store);
        return store;
    }

    private IVaultStore Open(VaultLocation location, RoleAssignmentRow? firstAdministrator = null)
    {
        var store = Storage.Open(location, firstAdministrator);
        stores.Add(store);
        return store;
    }

    private void Close(IVaultStore store)
    {
        stores.Remove(store);
        store.Dispose();
    }

    // ---- what authenticates the metadata (schema 6) ----------------------------------------

    [Fact]
    public void TheVaultsStateIsStoredAndReadBackWhole()
    {
        var store = Create(NewLocation(), Settings());
        var state = Read(store, tx => tx.Settings.Read()) with
        {
            ObjectsCount = 3,
            ObjectsDigest = Bytes(32, 1),
            RolesDigest = Bytes(32, 2),
            KeyringDigest = Bytes(32, 3),
            FirstRecordHmac = Bytes(32, 4),
            Mac = Bytes(32, 5),
        };
        Write(store, tx => tx.Settings.Write(state));
        var read = Read(store, tx => tx.Settings.Read());
        Assert.Equal(3, read.ObjectsCount);
        Assert.Equal([state.ObjectsDigest, state.RolesDigest, state.KeyringDigest, state.FirstRecordHmac, state.Mac], [read.ObjectsDigest!, read.RolesDigest!, read.KeyringDigest!, read.FirstRecordHmac!, read.Mac!]);
        Assert.Equal(Settings().Name, Storage.ReadSettings(store.Location).Name);
        Assert.Equal(state.Mac, Storage.ReadSettings(store.Location).Mac);
    }

    [Fact]
    public void AnObjectsStateAndItsVersionsOrdinalsAndMacsAreStoredAndReadBack()
    {
        var store = Create(NewLocation(), Settings());
        Write(store, tx =>
        {
            var db = tx.Objects.Insert(Secret, "db", T0);
            tx.Objects.InsertVersion(db, Version(VersionId(1)) with { Ordinal = 1, Mac = Bytes(32, 11) });
            tx.Objects.InsertVersion(db, Version(VersionId(2)) with { Ordinal = 2, Mac = Bytes(32, 12) });
            tx.Objects.WriteState(db with { VersionCount = 2, LatestVersion = VersionId(2), LatestMac = Bytes(32, 12), VersionsDigest = Bytes(32, 13), Mac = Bytes(32, 14), Deleted = T0 + 5, ScheduledPurge = T0 + 9 });
        });

        var (obj, latest) = Read(store, tx => tx.Objects.FindLatest(Secret, "db", withValue: true))!.Value;
        Assert.Equal((2L, VersionId(2), T0 + 5, T0 + 9), (obj.VersionCount, obj.LatestVersion, obj.Deleted!.Value, obj.ScheduledPurge!.Value));
        Assert.Equal([Bytes(32, 12), Bytes(32, 13), Bytes(32, 14)], [obj.LatestMac!, obj.VersionsDigest!, obj.Mac!]);
        Assert.Equal(2L, latest.Ordinal);
        Assert.Equal(Bytes(32, 12), latest.Mac);
        var all = Read(store, tx => tx.Objects.ListVersions(obj, withValue: false, oldestFirst: true).ToList());
        Assert.Equal([1L, 2L], all.Select(v => v.Ordinal).ToArray());

        // An attribute update writes the version's ordinal and MAC with it.
        Write(store, tx => tx.Objects.UpdateVersionAttributes(obj, all[0] with { Enabled = false, Ordinal = 7, Mac = Bytes(32, 21) }));
        var first = Read(store, tx => tx.Objects.GetVersion(obj, VersionId(1), withValue: false))!;
        Assert.Equal((false, 7L), (first.Enabled, first.Ordinal));
        Assert.Equal(Bytes(32, 21), first.Mac);
    }

    [Fact]
    public void ListAllGivesEveryObjectLiveDeletedAndWithoutVersionsByName()
    {
        var store = Create(NewLocation(), Settings());
        Write(store, tx =>
        {
            var b = tx.Objects.Insert(Secret, "b", T0);
            tx.Objects.InsertVersion(b, Version(VersionId(1)));
            tx.Objects.MarkDeleted(b, T0, T0 + 10);
            tx.Objects.Insert(Secret, "a", T0);
            var c = tx.Objects.Insert(Secret, "C", T0);
            tx.Objects.InsertVersion(c, Version(VersionId(2)));
        });

        Assert.Equal(["a", "b", "C"], Read(store, tx => tx.Objects.ListAll(Secret).Select(o => o.Name).ToList()));
    }

    [Fact]
    public void PurgeExpiredReturnsThePurgedObjectsAsTheyWere()
    {
        var store = Create(NewLocation(), Settings());
        Write(store, tx =>
        {
            var gone = tx.Objects.Insert(Secret, "gone", T0);
            tx.Objects.InsertVersion(gone, Version(VersionId(1)));
            tx.Objects.WriteState(gone with { Deleted = T0, ScheduledPurge = T0 + 1, VersionCount = 1, Mac = Bytes(32, 31) });
        });

        var purged = Write(store, tx => tx.Objects.PurgeExpired(T0 + 1));
        var one = Assert.Single(purged);
        Assert.Equal(("gone", 1L), (one.Name, one.VersionCount));
        Assert.Equal(Bytes(32, 31), one.Mac);
        Assert.Empty(Write(store, tx => tx.Objects.PurgeExpired(T0 + 1)));
    }

    [Fact]
    public void RoleMacsAreStoredAndSetLater()
    {
        var store = Create(NewLocation(), Settings());
        var definition = Definition("Reader") with { Mac = Bytes(32, 41) };
        var assignment = Assignment("uid:7") with { Mac = null };
        Write(store, tx =>
        {
            tx.Roles.InsertDefinition(definition);
            tx.Roles.InsertAssignment(assignment);
        });

        Assert.Equal(Bytes(32, 41), Read(store, tx => tx.Roles.ReadDefinitions().Single().Mac));
        Assert.Null(Read(store, tx => tx.Roles.ReadAssignments().Single(a => a.Id == assignment.Id).Mac));
        var version = Read(store, tx => tx.Roles.Version());
        Write(store, tx =>
        {
            tx.Roles.UpdateAssignmentMac(assignment.Id, Bytes(32, 42));
            tx.Roles.UpdateDefinitionMac(definition.Id, Bytes(32, 43));
        });
        Assert.Equal(Bytes(32, 42), Read(store, tx => tx.Roles.ReadAssignments().Single(a => a.Id == assignment.Id).Mac));
        Assert.Equal(Bytes(32, 43), Read(store, tx => tx.Roles.ReadDefinitions().Single().Mac));
        Assert.Equal(version, Read(store, tx => tx.Roles.Version()));
    }

    [Fact]
    public void TheHeadKeepsTheStateMacItWasWrittenWith()
    {
        var store = Create(NewLocation(), Settings());
        Write(store, tx => tx.Audit.WriteHead(Head(1) with { StateMac = Bytes(32, 51) }));
        Assert.Equal(Bytes(32, 51), Read(store, tx => tx.Audit.ReadHead())!.StateMac);
        Write(store, tx => tx.Audit.WriteHead(Head(2)));
        Assert.Null(Read(store, tx => tx.Audit.ReadHead())!.StateMac);
    }

    [Fact]
    public void AQueryCanAskForTheUnchainedEntriesAlone()
    {
        var store = Create(NewLocation(), Settings());
        Write(store, tx =>
        {
            tx.Audit.Insert(Record(1));
            tx.Audit.Insert(Record(null, operation: "VaultUnlock"));
            tx.Audit.Insert(Record(2));
            tx.Audit.Insert(Record(null, operation: "SecretGet"));
        });

        var unchained = Read(store, tx => tx.Audit.Query(new AuditQuery { UnchainedOnly = true, OldestFirst = true }).ToList());
        Assert.Equal(["VaultUnlock", "SecretGet"], unchained.Select(r => r.Operation));
        Assert.All(unchained, r => Assert.Null(r.Seq));
    }

    private static void Retention(IVaultTransaction tx, int days, bool purgeProtection) =>
        tx.Settings.Write(tx.Settings.Read() with { RetentionDays = days, PurgeProtection = purgeProtection });

    private static void KeyProtector(IVaultTransaction tx, string json) => tx.Settings.Write(tx.Settings.Read() with { KeyProtector = json });

    private static void Write(IVaultStore store, Action<IVaultTransaction> change)
    {
        using var tx = store.BeginWrite();
        change(tx);
        tx.Commit();
    }

    private static T Write<T>(IVaultStore store, Func<IVaultTransaction, T> change)
    {
        using var tx = store.BeginWrite();
        var result = change(tx);
        tx.Commit();
        return result;
    }

    /// <summary>A read on a connection of its own; <paramref name="read"/> must finish any stream before it returns.</summary>
    private static T Read<T>(IVaultStore store, Func<IVaultTransaction, T> read)
    {
        using var tx = store.Connect();
        return read(tx);
    }

    private static List<string> ListNames(IVaultStore store, bool deleted) =>
        Read(store, tx => tx.Objects.ListLatest(Secret, deleted, "").Select(l => l.Object.Name).ToList());

    /// <summary>Secrets by name, each with one version whose id is its name's length.</summary>
    private static Dictionary<string, ObjectRow> Populate(IVaultTransaction tx, params string[] names)
    {
        var objects = new Dictionary<string, ObjectRow>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var obj = tx.Objects.Insert(Secret, name, T0);
            tx.Objects.InsertVersion(obj, Version(VersionId(name.Length)));
            objects[name] = obj;
        }

        return objects;
    }

    /// <summary>A version as the re-encryption walk should see it, its seq as storage gave it.</summary>
    private static SealedVersion Sealed(IVaultTransaction tx, ObjectRow obj, VersionRow version) =>
        new(obj.Kind, tx.Objects.GetVersion(obj, version.Version, withValue: false)!.Seq, obj.Name, version.Version, version.Term, version.Value);

    /// <summary>The vault as just created: what a write that came to nothing must leave.</summary>
    private static void AssertUntouched(IVaultStore store, VaultRow vault, long rolesVersion)
    {
        using var db = store.Connect();
        Assert.Equal(vault, db.Settings.Read());
        Same([Term(1)], db.Keyring.Read());
        Assert.Equal(1, db.Keyring.MaxTerm());
        Assert.Null(db.Objects.Find(Secret, "db"));
        Assert.Empty(db.Objects.ListLatest(Secret, deleted: false, "").ToList());
        Assert.Empty(db.Roles.ReadDefinitions());
        Assert.Equal(["uid:1000"], db.Roles.ReadAssignments().Select(a => a.PrincipalId));
        Assert.Equal(rolesVersion, db.Roles.Version());
        Assert.Empty(db.Audit.Query(new AuditQuery()).ToList());
        Assert.Null(db.Audit.ReadHead());
        Assert.Equal(0, db.Audit.MaxSeq());
    }

    /// <summary>
    /// Six records (numbered 1-6 in the order written) that each filter tells apart: callers in
    /// mixed case, an object of the same name in another collection, one version's target.
    /// </summary>
    private static (Dictionary<int, long> Ids, Dictionary<int, AuditRow> Rows) AuditFixture(IVaultStore store)
    {
        var rows = new Dictionary<int, AuditRow>
        {
            [1] = Record(1, T0, "SecretGet", "user-alice", "uid:1000", "db", "vault://contract/secrets/db", "Success", CorrelationOne),
            [2] = Record(2, T0 + 1000, "SecretSet", "user-bob", "uid:2000", "DB", "vault://contract/secrets/DB/" + VersionId(7), "Denied", CorrelationOne),
            [3] = Record(3, T0 + 2000, "SecretGet", "User-Alice", "UID:1000", "db", "vault://contract/keys/db", "Success", CorrelationTwo),
            [4] = Record(4, T0 + 2000, "AuditLogRead", "user-carol", "uid:3000", null, "vault://contract", "Failed", null),
            [5] = Record(5, T0 + 3000, "SecretDelete", "USER-ALICE", "uid:1000", "db-old", "vault://contract/secrets/db-old", "Success", CorrelationTwo),
            [6] = Record(null, T0 + 4000, "VaultOpen", null, null, null, null, "Success", null),
        };
        var ids = Write(store, tx => rows.ToDictionary(r => r.Key, r => tx.Audit.Insert(r.Value)));
        return (ids, rows);
    }

    /// <summary>The record a chain reader is on, read field by field: text from its UTF-8 bytes.</summary>
    private static AuditRow FromChain(IAuditChainReader chain)
    {
        string? Text(AuditField field) => chain.IsNull(field) ? null : Encoding.UTF8.GetString(chain.GetBytes(field));
        byte[]? Blob(AuditField field) => chain.IsNull(field) ? null : chain.GetBytes(field).ToArray();

        Assert.False(chain.IsNull(AuditField.Seq));
        return new AuditRow
        {
            Seq = chain.GetInt64(AuditField.Seq),
            PrevHmac = Blob(AuditField.PrevHmac),
            Time = chain.GetInt64(AuditField.Time),
            Operation = Text(AuditField.Operation)!,
            CallerId = Text(AuditField.CallerId),
            CallerName = Text(AuditField.CallerName),
            CallerType = Text(AuditField.CallerType),
            Target = Text(AuditField.Target),
            ObjectName = Text(AuditField.ObjectName),
            ResultType = Text(AuditField.ResultType)!,
            ResultSignature = Text(AuditField.ResultSignature)!,
            Description = Text(AuditField.Description),
            DurationUs = chain.GetInt64(AuditField.DurationUs),
            CorrelationId = Text(AuditField.CorrelationId),
            Client = Text(AuditField.Client),
            Properties = Text(AuditField.Properties),
            Hmac = Blob(AuditField.Hmac),
        };
    }

    /// <summary>
    /// Appends as the core does, from <see cref="Appenders"/> threads at once: the head locked,
    /// the next record after it, the head moved on. Each record's PrevHmac is the head it saw.
    /// </summary>
    private static void AppendAtOnce(Func<int, IVaultStore> storeOf) => RunAtOnce(Appenders, w =>
    {
        for (var i = 0; i < AppendsEach; i++)
        {
            using var tx = storeOf(w).BeginWrite();
            var head = tx.Audit.LockHead();
            // Gives another appender the chance to read the same head, should the lock not hold it.
            Thread.Yield();
            var seq = (head?.Seq ?? 0) + 1;
            var hmac = Bytes(32, (int)seq);
            tx.Audit.Insert(Record(seq) with { PrevHmac = head?.Hmac ?? new byte[32], Hmac = hmac, CallerId = "writer-" + w });
            tx.Audit.WriteHead(new AuditHeadRow(seq, hmac, T0 + seq, Bytes(32, (int)seq + 1000)));
            tx.Commit();
        }
    });

    private static void AssertChainedOneByOne(IVaultStore store, int count)
    {
        var records = Read(store, tx => tx.Audit.Query(new AuditQuery { OldestFirst = true }).ToList());
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long?)i), records.Select(r => r.Seq));
        for (var i = 1; i < records.Count; i++)
        {
            Assert.Equal(records[i - 1].Hmac, records[i].PrevHmac);
        }

        Assert.Equal(Enumerable.Range(0, Appenders).Select(w => "writer-" + w), records.Select(r => r.CallerId!).Distinct().Order(StringComparer.Ordinal));
        Same(new AuditHeadRow(count, Bytes(32, count), T0 + count, Bytes(32, count + 1000)), Read(store, tx => tx.Audit.ReadHead()));
        Assert.Equal(count, Read(store, tx => tx.Audit.MaxSeq()));
        Assert.Equal(0, Read(store, tx => tx.Audit.CountUnchained()));
    }

    /// <summary>Runs <paramref name="work"/> on that many threads released together; rethrows the first failure.</summary>
    private static void RunAtOnce(int threads, Action<int> work)
    {
        using var start = new Barrier(threads);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var running = Enumerable.Range(0, threads).Select(w => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                work(w);
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex);
            }
        })).ToList();

        running.ForEach(t => t.Start());
        foreach (var thread in running)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "A writer did not finish within a minute.");
        }

        if (!failures.IsEmpty)
        {
            throw new AggregateException(failures);
        }
    }
}
