using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage.Sqlite;

/// <summary>The <c>role_definition</c> and <c>role_assignment</c> tables, and <c>vault.rbac_version</c>, which every change to them moves.</summary>
internal sealed class SqliteRoleStore(SqliteVaultTransaction db) : IRoleStore
{
    private const string InsertAssignmentSql = """
        INSERT INTO role_assignment (id, principal_id, principal_name, principal_type, role_definition_id, scope, created, mac)
        VALUES ($id, $principalId, $principalName, $principalType, $role, $scope, $created, $mac);
        """;

    private const string BumpSql = "UPDATE vault SET rbac_version = rbac_version + 1 WHERE id = 1;";

    public long Version()
    {
        var command = db.Kept("SELECT rbac_version FROM vault WHERE id = 1;");
        return (long)db.Scalar(command)!;
    }

    public IReadOnlyList<RoleDefinitionRow> ReadDefinitions()
    {
        using var command = db.Command("SELECT id, name, description, data_actions, not_data_actions, created, mac FROM role_definition ORDER BY name;");
        using var reader = db.Reader(command);
        var rows = new List<RoleDefinitionRow>();
        while (db.Read(reader))
        {
            rows.Add(new RoleDefinitionRow(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5))
            {
                Mac = reader.IsDBNull(6) ? null : reader.GetFieldValue<byte[]>(6),
            });
        }

        return rows;
    }

    public void InsertDefinition(RoleDefinitionRow row)
    {
        using var command = db.Command("""
            INSERT INTO role_definition (id, name, description, data_actions, not_data_actions, created, mac)
            VALUES ($id, $name, $description, $actions, $notActions, $created, $mac);
            """);
        command.Parameters.AddWithValue("$mac", (object?)row.Mac ?? DBNull.Value);
        command.Parameters.AddWithValue("$id", row.Id.ToString("D"));
        command.Parameters.AddWithValue("$name", row.Name);
        command.Parameters.AddWithValue("$description", (object?)row.Description ?? DBNull.Value);
        command.Parameters.AddWithValue("$actions", row.DataActions);
        command.Parameters.AddWithValue("$notActions", row.NotDataActions);
        command.Parameters.AddWithValue("$created", row.Created);
        db.Execute(command);
        Bump();
    }

    public void DeleteDefinition(Guid id)
    {
        using var command = db.Command("DELETE FROM role_definition WHERE id = $id;");
        command.Parameters.AddWithValue("$id", id.ToString("D"));
        db.Execute(command);
        Bump();
    }

    public void UpdateDefinitionMac(Guid id, byte[] mac) => SetMac("role_definition", id, mac);

    public void UpdateAssignmentMac(Guid id, byte[] mac) => SetMac("role_assignment", id, mac);

    private void SetMac(string table, Guid id, byte[] mac)
    {
        using var command = db.Command($"UPDATE {table} SET mac = $mac WHERE id = $id;");
        command.Parameters.AddWithValue("$id", id.ToString("D"));
        command.Parameters.AddWithValue("$mac", mac);
        db.Execute(command);
    }

    public IReadOnlyList<RoleAssignmentRow> ReadAssignments()
    {
        // Assignments made in the same millisecond keep the order they were made (rowid), not their random ids'.
        using var command = db.Command("SELECT id, principal_id, principal_name, principal_type, role_definition_id, scope, created, mac FROM role_assignment ORDER BY created, rowid;");
        using var reader = db.Reader(command);
        var rows = new List<RoleAssignmentRow>();
        while (db.Read(reader))
        {
            rows.Add(new RoleAssignmentRow(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), Guid.Parse(reader.GetString(4)), reader.GetString(5), reader.GetInt64(6))
            {
                Mac = reader.IsDBNull(7) ? null : reader.GetFieldValue<byte[]>(7),
            });
        }

        return rows;
    }

    public void InsertAssignment(RoleAssignmentRow row)
    {
        using var command = db.Command(InsertAssignmentSql);
        AddAssignment(command, row);
        db.Execute(command);
        Bump();
    }

    public void DeleteAssignment(Guid id)
    {
        using var command = db.Command("DELETE FROM role_assignment WHERE id = $id;");
        command.Parameters.AddWithValue("$id", id.ToString("D"));
        db.Execute(command);
        Bump();
    }

    /// <summary>The creator's (or an upgrader's) assignment, in the creating or migrating transaction.</summary>
    internal static void InsertAssignment(SqliteConnection connection, SqliteTransaction tx, RoleAssignmentRow row, bool bump)
    {
        using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            command.CommandText = InsertAssignmentSql;
            AddAssignment(command, row);
            command.ExecuteNonQuery();
        }

        if (bump)
        {
            SqliteVaultStore.Execute(connection, BumpSql, tx);
        }
    }

    private void Bump()
    {
        using var command = db.Command(BumpSql);
        db.Execute(command);
    }

    private static void AddAssignment(SqliteCommand command, RoleAssignmentRow row)
    {
        command.Parameters.AddWithValue("$id", row.Id.ToString("D"));
        command.Parameters.AddWithValue("$principalId", row.PrincipalId);
        command.Parameters.AddWithValue("$principalName", (object?)row.PrincipalName ?? DBNull.Value);
        command.Parameters.AddWithValue("$principalType", row.PrincipalType);
        command.Parameters.AddWithValue("$role", row.RoleDefinitionId.ToString("D"));
        command.Parameters.AddWithValue("$scope", row.Scope);
        command.Parameters.AddWithValue("$created", row.Created);
        command.Parameters.AddWithValue("$mac", (object?)row.Mac ?? DBNull.Value);
    }
}
