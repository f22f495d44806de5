namespace Vault.Core.Storage.Sqlite;

/// <summary>
/// The vault file's schema, as an ordered list of migrations. <c>PRAGMA user_version</c> records how
/// many have run; a file from a newer module is refused rather than guessed at.
/// </summary>
internal static class Schema
{
    /// <summary>'VAUL': marks a SQLite file as a Vault database.</summary>
    public const int ApplicationId = 0x5641554C;

    public static int CurrentVersion => Migrations.Length;

    public static readonly string[] Migrations =
    [
        // 1: vault settings, keyring, secrets and their versions.
        """
        CREATE TABLE vault (
            id                          INTEGER PRIMARY KEY CHECK (id = 1),
            vault_id                    TEXT    NOT NULL,
            keyring_id                  TEXT    NOT NULL,
            name                        TEXT    NOT NULL,
            created                     INTEGER NOT NULL,
            soft_delete_retention_days  INTEGER NOT NULL,
            purge_protection            INTEGER NOT NULL,
            key_protector               TEXT    NOT NULL
        );

        CREATE TABLE keyring (
            term         INTEGER PRIMARY KEY,
            purpose      TEXT    NOT NULL,
            wrapped_key  BLOB    NOT NULL,
            created      INTEGER NOT NULL
        );

        CREATE TABLE secret (
            secret_id        INTEGER PRIMARY KEY,
            name             TEXT    NOT NULL COLLATE NOCASE UNIQUE,
            created          INTEGER NOT NULL,
            deleted          INTEGER,
            scheduled_purge  INTEGER
        );

        CREATE INDEX secret_scheduled_purge ON secret (scheduled_purge) WHERE scheduled_purge IS NOT NULL;

        CREATE TABLE secret_version (
            seq           INTEGER PRIMARY KEY,
            secret_id     INTEGER NOT NULL REFERENCES secret (secret_id) ON DELETE CASCADE,
            version       TEXT    NOT NULL,
            created       INTEGER NOT NULL,
            updated       INTEGER NOT NULL,
            enabled       INTEGER NOT NULL,
            not_before    INTEGER,
            expires       INTEGER,
            content_type  TEXT,
            tags          TEXT,
            term          INTEGER NOT NULL REFERENCES keyring (term),
            value         BLOB    NOT NULL,
            UNIQUE (secret_id, version)
        );

        CREATE INDEX secret_version_latest ON secret_version (secret_id, seq DESC);
        """,

        // 2: how each data key is wrapped (the mechanism), a check value to know it when unwrapped,
        // and the chain: each term sealed under the one before, so a process that holds the keyring
        // follows another's rotation without asking the key protector.
        """
        ALTER TABLE keyring ADD COLUMN mechanism TEXT NOT NULL DEFAULT 'AES-256-GCM';
        ALTER TABLE keyring ADD COLUMN key_check BLOB;
        ALTER TABLE keyring ADD COLUMN chain BLOB;
        """,

        // 3: role-based access control. Built-in roles live in code; custom ones here. rbac_version
        // changes with every change to either table, so a process sees another's grants and revocations.
        """
        CREATE TABLE role_definition (
            id                TEXT    PRIMARY KEY,
            name              TEXT    NOT NULL COLLATE NOCASE UNIQUE,
            description       TEXT,
            data_actions      TEXT    NOT NULL,
            not_data_actions  TEXT    NOT NULL,
            created           INTEGER NOT NULL
        );

        CREATE TABLE role_assignment (
            id                  TEXT    PRIMARY KEY,
            principal_id        TEXT    NOT NULL COLLATE NOCASE,
            principal_name      TEXT,
            principal_type      TEXT    NOT NULL,
            role_definition_id  TEXT    NOT NULL,
            scope               TEXT    NOT NULL COLLATE NOCASE,
            created             INTEGER NOT NULL,
            UNIQUE (principal_id, role_definition_id, scope)
        );

        ALTER TABLE vault ADD COLUMN rbac_version INTEGER NOT NULL DEFAULT 0;
        """,

        // 4: the audit log. id is the order records were written in; seq, prev_hmac and hmac chain
        // them (all three null for an entry written before the vault opened, which no key covers).
        // audit_head holds the last seq and hmac under an HMAC of their own, so a cut tail shows.
        // Every index costs each operation a page written to the WAL: these are the ones the
        // queries need (time, a secret, a caller, the denials and failures); a correlation id is
        // looked up newest first without one (measured: its index cost ~45 µs an operation).
        """
        CREATE TABLE audit_record (
            id                INTEGER PRIMARY KEY,
            seq               INTEGER UNIQUE,
            time              INTEGER NOT NULL,
            operation         TEXT    NOT NULL,
            caller_id         TEXT,
            caller_name       TEXT,
            caller_type       TEXT,
            target            TEXT,
            secret_name       TEXT,
            result_type       TEXT    NOT NULL,
            result_signature  TEXT    NOT NULL,
            description       TEXT,
            duration_us       INTEGER NOT NULL,
            correlation_id    TEXT,
            client            TEXT,
            properties        TEXT,
            prev_hmac         BLOB,
            hmac              BLOB
        );

        CREATE INDEX audit_record_time ON audit_record (time);
        CREATE INDEX audit_record_secret ON audit_record (secret_name COLLATE NOCASE, id) WHERE secret_name IS NOT NULL;
        CREATE INDEX audit_record_caller ON audit_record (caller_name COLLATE NOCASE, id);
        CREATE INDEX audit_record_unsuccessful ON audit_record (result_type, id) WHERE result_type <> 'Success';

        CREATE TABLE audit_head (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            seq        INTEGER NOT NULL,
            hmac       BLOB    NOT NULL,
            time       INTEGER NOT NULL,
            head_hmac  BLOB    NOT NULL
        );
        """,

        // 5: records name the object they are about, of whichever kind (the kind is in the target,
        // vault://v/secrets/db): secret_name becomes object_name. The column keeps its place, so
        // every record's canonical bytes, and with them the chain, are unchanged. The index keeps
        // its name (SQLite renames the column inside it; dropping and making it again would rebuild
        // it over the whole log).
        """
        ALTER TABLE audit_record RENAME COLUMN secret_name TO object_name;
        """,

        // 6: every byte that decides behaviour carries a MAC under a key derived from the keyring
        // (docs/ARCHITECTURE.md, "Authenticated metadata"). Each version's attributes, bound to its
        // object and its ordinal (its place among the object's versions); each object's state, bound
        // to its latest version and the sum of its versions' MACs; each role definition and
        // assignment; and the vault's state: its settings, the sums of its objects', roles' and
        // keyring rows' MACs, and the HMAC of the audit log's first record. The audit head binds the
        // vault's state MAC, so no row can be deleted, replayed or reordered unnoticed. NULL until a
        // vault from before is upgraded, by the first opener who holds its key.
        """
        ALTER TABLE vault ADD COLUMN objects_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE vault ADD COLUMN objects_digest BLOB;
        ALTER TABLE vault ADD COLUMN roles_digest BLOB;
        ALTER TABLE vault ADD COLUMN keyring_digest BLOB;
        ALTER TABLE vault ADD COLUMN first_record_hmac BLOB;
        ALTER TABLE vault ADD COLUMN mac BLOB;
        ALTER TABLE secret ADD COLUMN version_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE secret ADD COLUMN latest_version TEXT;
        ALTER TABLE secret ADD COLUMN latest_mac BLOB;
        ALTER TABLE secret ADD COLUMN versions_digest BLOB;
        ALTER TABLE secret ADD COLUMN mac BLOB;
        ALTER TABLE secret_version ADD COLUMN ordinal INTEGER;
        ALTER TABLE secret_version ADD COLUMN mac BLOB;
        ALTER TABLE role_definition ADD COLUMN mac BLOB;
        ALTER TABLE role_assignment ADD COLUMN mac BLOB;
        ALTER TABLE audit_head ADD COLUMN state_mac BLOB;
        """,

        // 7: what a version's value was set as (String, SecureString, ByteArray, PSCredential,
        // Hashtable: SecretManagement's SecretType names), so it comes back as one. NULL for the
        // versions before, which are text; bound into the version's MAC only when present, so their
        // MACs stay valid without an upgrade.
        """
        ALTER TABLE secret_version ADD COLUMN secret_type TEXT;
        """,
    ];
}
