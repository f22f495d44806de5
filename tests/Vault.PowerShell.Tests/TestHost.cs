using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace Vault.PowerShell.Tests;

/// <summary>
/// A host for the hosted runspace: it answers confirmation prompts as the test says and records
/// everything shown to the user (what-if text, prompts, warnings), which a host-less runspace drops.
/// </summary>
public sealed class TestHost : PSHost
{
    private readonly TestHostUI ui = new();

    public override string Name => "VaultTestHost";

    public override Version Version => new(1, 0);

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;

    public override PSHostUserInterface UI => ui;

    /// <summary>What the host answers to a ShouldProcess or ShouldContinue prompt: "Yes" or "No".</summary>
    public string ConfirmAnswer { get => ui.ConfirmAnswer; set => ui.ConfirmAnswer = value; }

    /// <summary>Every prompt shown, as "caption|message".</summary>
    public List<string> Prompts => ui.Prompts;

    /// <summary>What the host answers when asked for a secret line (a PIN); null: the host cannot ask.</summary>
    public string? SecureInput { get => ui.SecureInput; set => ui.SecureInput = value; }

    public string Text => ui.Text.ToString();

    public void ClearText() => ui.Text.Clear();

    public override void EnterNestedPrompt() => throw new NotSupportedException();

    public override void ExitNestedPrompt() => throw new NotSupportedException();

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    public override void SetShouldExit(int exitCode)
    {
    }

    private sealed class TestHostUI : PSHostUserInterface
    {
        private readonly TestRawUI raw = new();

        public StringBuilder Text { get; } = new();

        public string ConfirmAnswer { get; set; } = "Yes";

        public string? SecureInput { get; set; }

        public List<string> Prompts { get; } = [];

        public override PSHostRawUserInterface RawUI => raw;

        public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions)
        {
            Prompts.Add(caption + "|" + message);
            if (SecureInput is null)
            {
                throw new InvalidOperationException("This host cannot read input.");
            }

            return descriptions.ToDictionary(d => d.Name, _ => new PSObject(Secure(SecureInput)));
        }

        private static SecureString Secure(string text)
        {
            var secure = new SecureString();
            foreach (var c in text)
            {
                secure.AppendChar(c);
            }

            return secure;
        }

        public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice)
        {
            Prompts.Add(caption + "|" + message);
            for (var i = 0; i < choices.Count; i++)
            {
                if (string.Equals(choices[i].Label.Replace("&", string.Empty, StringComparison.Ordinal), ConfirmAnswer, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }

            throw new InvalidOperationException($"No choice '{ConfirmAnswer}' in prompt '{caption}'.");
        }

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            throw new InvalidOperationException("Unexpected credential prompt.");

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            throw new InvalidOperationException("Unexpected credential prompt.");

        public override string ReadLine() => throw new InvalidOperationException("Unexpected ReadLine.");

        public override SecureString ReadLineAsSecureString()
        {
            Prompts.Add("ReadLineAsSecureString|" + Text.ToString().Split('\n')[^1]);
            if (SecureInput is null)
            {
                throw new InvalidOperationException("This host cannot read input.");
            }

            return Secure(SecureInput);
        }

        public override void Write(string value) => Text.Append(value);

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Text.Append(value);

        public override void WriteLine(string value) => Text.AppendLine(value);

        public override void WriteErrorLine(string value) => Text.AppendLine("ERROR: " + value);

        public override void WriteDebugLine(string message) => Text.AppendLine("DEBUG: " + message);

        public override void WriteProgress(long sourceId, ProgressRecord record) => Text.AppendLine("PROGRESS: " + record.Activity + " " + record.StatusDescription);

        public override void WriteVerboseLine(string message) => Text.AppendLine("VERBOSE: " + message);

        public override void WriteWarningLine(string message) => Text.AppendLine("WARNING: " + message);
    }

    private sealed class TestRawUI : PSHostRawUserInterface
    {
        public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

        public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

        public override Coordinates CursorPosition { get; set; }

        public override Coordinates WindowPosition { get; set; }

        public override int CursorSize { get; set; }

        public override Size BufferSize { get; set; } = new(160, 1000);

        public override Size WindowSize { get; set; } = new(160, 50);

        public override Size MaxWindowSize => new(160, 50);

        public override Size MaxPhysicalWindowSize => new(160, 50);

        public override bool KeyAvailable => false;

        public override string WindowTitle { get; set; } = string.Empty;

        public override void FlushInputBuffer()
        {
        }

        public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();

        public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();

        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) => throw new NotSupportedException();

        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) => throw new NotSupportedException();

        public override void SetBufferContents(Rectangle rectangle, BufferCell fill) => throw new NotSupportedException();
    }
}
