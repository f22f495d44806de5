using System.Management.Automation.Runspaces;

// Same command line as pwsh: -NoProfile -NonInteractive -File script.ps1, -Command '...'.
return Microsoft.PowerShell.ConsoleShell.Start(InitialSessionState.CreateDefault2(), string.Empty, string.Empty, args);
