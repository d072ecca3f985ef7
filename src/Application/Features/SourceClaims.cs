using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Amil.MLNet.Application.Features;

/// <summary>
/// Claims on the sources (images or slides) of a shared feature cache, for processes on several hosts that share the
/// cache folder but no scheduler. Before computing a source a process creates <c>claims/&lt;hash&gt;.claim</c>
/// (host, process, source) with an exclusive create, so no two compute it; the others pass it by and come back. A
/// claim is refreshed while its source is computed; one not refreshed within the timeout (its host died or lost the
/// folder), or one of a process of this host that no longer runs, is taken over, by one process only.
/// </summary>
public sealed class SourceClaims
{
    /// <summary>The claims' folder under the cache.</summary>
    public const string FolderName = "claims";

    private readonly TimeSpan _timeout;
    private readonly string _host;
    private readonly int _process;

    /// <param name="host">This host's name (default the machine's); tests simulate other hosts with it.</param>
    /// <param name="process">This process's id (default the current one).</param>
    public SourceClaims(string cacheFolder, TimeSpan timeout, string? host = null, int? process = null)
    {
        if (timeout <= TimeSpan.Zero)
            throw new ArgumentException($"The claim timeout must be positive (got {timeout}).");
        Folder = Path.Combine(Path.GetFullPath(cacheFolder), FolderName);
        _timeout = timeout;
        _host = host ?? Environment.MachineName;
        _process = process ?? Environment.ProcessId;
        Directory.CreateDirectory(Folder);
    }

    /// <summary>Who holds a claim.</summary>
    public sealed record Holder(string Host, int Process, string Source);

    public string Folder { get; }

    /// <summary>The claim file of a source.</summary>
    public string PathOf(string source) =>
        Path.Combine(
            Folder,
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(source))))[..32] + ".claim"
        );

    /// <summary>Claims a source for this process; false, with the holder, when another live one holds it.</summary>
    public bool TryClaim(string source, out Holder? holder)
    {
        var path = PathOf(source);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (Create(path, source))
            {
                holder = null;
                return true;
            }
            holder = Read(path);
            if (holder is null)
                continue; // released between our create and our read: try again
            if (!Stale(path, holder))
                return false;
            TakeOver(path);
        }
        holder = Read(path);
        return holder is not null
            ? false
            : throw new IOException(
                $"{Folder}: no claim file can be made for {source}; check that the cache folder is writable."
            );
    }

    /// <summary>Marks a claim as alive (its time is what others time out on).</summary>
    public void Refresh(string source)
    {
        try
        {
            File.SetLastWriteTimeUtc(PathOf(source), DateTime.UtcNow);
        }
        catch (IOException) { } // gone: taken over after a long stall; the entry is still written atomically
    }

    /// <summary>Gives a claim back (after the source's entry is written, or on failure).</summary>
    public void Release(string source)
    {
        var path = PathOf(source);
        if (Read(path) is { } holder && holder.Host == _host && holder.Process == _process)
            File.Delete(path);
    }

    private bool Create(string path, string source)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            JsonSerializer.Serialize(stream, new Holder(_host, _process, Path.GetFullPath(source)));
            return true;
        }
        catch (IOException)
        {
            return false; // held (or, if it cannot be read either, TryClaim says so)
        }
    }

    private static Holder? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Holder>(File.ReadAllText(path));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (JsonException)
        {
            // Being written this instant, or torn by a crash: its age decides, as for any claim.
            return new Holder("?", 0, "");
        }
    }

    /// <summary>Not refreshed within the timeout, or held by a process of this host that no longer runs.</summary>
    private bool Stale(string path, Holder holder)
    {
        if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > _timeout)
            return true;
        return holder.Host == _host && holder.Process != _process && !Running(holder.Process);
    }

    private static bool Running(int process)
    {
        try
        {
            using var p = Process.GetProcessById(process);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Moves the stale claim aside under a name of our own (only one mover wins the rename), then drops
    /// it; whoever then creates the claim holds it.</summary>
    private void TakeOver(string path)
    {
        var aside = $"{path}.{_host}-{_process}.stale";
        try
        {
            File.Move(path, aside);
            File.Delete(aside);
        }
        catch (IOException) { } // another process moved it first
    }
}
