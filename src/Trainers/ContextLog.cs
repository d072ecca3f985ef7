using Microsoft.ML.Runtime;

namespace Amil.MLNet.Trainers;

/// <summary>Lines into the <c>MLContext.Log</c> of the context a trainer came from (source "Amil.MLNet…"), as
/// ML.NET's own trainers report: one channel for the length of a training.</summary>
internal sealed class ContextLog(IChannel channel) : IDisposable
{
    public void Info(string line) => channel.Info(MessageSensitivity.None, line);

    public void Warning(string line) => channel.Warning(MessageSensitivity.None, line);

    public void Dispose() => channel.Dispose();
}
