using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Amil.MLNet.Transforms.Encoders;

/// <summary>SHA-256 of files, remembered per process by path, size and modification time: an encoder of a few GB is
/// hashed once, and a file replaced in place is hashed again.</summary>
internal static class FileHash
{
    private static readonly ConcurrentDictionary<(string, long, DateTime), string> Known = new();

    public static string Sha256(string path)
    {
        var info = new FileInfo(path);
        return Known.GetOrAdd(
            (info.FullName, info.Length, info.LastWriteTimeUtc),
            _ =>
            {
                using var stream = File.OpenRead(info.FullName);
                return Convert.ToHexStringLower(SHA256.HashData(stream));
            }
        );
    }
}
