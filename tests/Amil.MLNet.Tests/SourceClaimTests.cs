using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Amil.MLNet.Application.Features;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Processes on several hosts sharing a cache folder without a scheduler: each source is claimed before it
/// is computed, held ones are waited for, a dead host's claim is taken over after the timeout and a dead local
/// process's at once; simulated hosts share one folder.</summary>
public sealed class SourceClaimTests
{
    private sealed class World(string folder)
    {
        public readonly ConcurrentDictionary<string, string> Written = new();
        public readonly ConcurrentDictionary<string, int> Computations = new();
        public readonly string Folder = folder;

        public FeatureExtraction.Summary Run(string host, IReadOnlyList<string> sources, Action<string> log) =>
            FeatureExtraction.Fill(
                sources,
                (path, _, _) =>
                {
                    if (Written.ContainsKey(path))
                        return new FeatureExtraction.Lookup(true, 0, 0);
                    Computations.AddOrUpdate(path, 1, (_, n) => n + 1);
                    Thread.Sleep(15);
                    Written[path] = host;
                    return new FeatureExtraction.Lookup(false, 4, 0.015);
                },
                (0, 1),
                null,
                claiming: new FeatureExtraction.Claiming(
                    new SourceClaims(Folder, TimeSpan.FromMinutes(30), host, process: Environment.ProcessId),
                    Written.ContainsKey,
                    TimeSpan.FromMilliseconds(20),
                    log
                )
            );
    }

    private static void Claim(SourceClaims claims, string source, string host, int process, TimeSpan age)
    {
        var path = claims.PathOf(source);
        File.WriteAllText(path, JsonSerializer.Serialize(new SourceClaims.Holder(host, process, source)));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
    }

    [Fact]
    public async Task HeldSourcesAreWaitedForAndDeadClaimsTakenOver()
    {
        var world = new World(TestTemp.Folder("claims").FullName);
        string[] sources = ["/s/a.svs", "/s/b.svs", "/s/c.svs", "/s/d.svs"];
        var claims = new SourceClaims(world.Folder, TimeSpan.FromMinutes(30), "node-a");
        Claim(claims, sources[1], "node-b", 4242, TimeSpan.FromSeconds(5)); // alive: waited for
        Claim(claims, sources[2], "node-c", 777, TimeSpan.FromHours(2)); // not refreshed for 2 h: taken over
        using var exited = Process.Start("true")!;
        exited.WaitForExit();
        Claim(claims, sources[3], "node-a", exited.Id, TimeSpan.Zero); // this host, process gone: taken over

        var log = new ConcurrentQueue<string>();
        var run = Task.Run(() => world.Run("node-a", sources, log.Enqueue));
        SpinWait.SpinUntil(() => world.Written.Count == 3 && !log.IsEmpty, TimeSpan.FromSeconds(10));
        Assert.False(run.IsCompleted); // still waiting for node-b's source
        Assert.Contains(log, l => l.Contains("held by other processes (node-b pid 4242)"));
        world.Written[sources[1]] = "node-b"; // node-b finishes and gives its claim back
        File.Delete(claims.PathOf(sources[1]));
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((3, 1), (summary.Computed, summary.Hits));
        Assert.All(new[] { 0, 2, 3 }, i => Assert.Equal("node-a", world.Written[sources[i]]));
        Assert.Empty(Directory.EnumerateFiles(claims.Folder)); // every claim given back, no stale copy left
    }

    [Fact]
    public async Task HostsSharingAFolderComputeEverySourceOnce()
    {
        var world = new World(TestTemp.Folder("claims-race").FullName);
        var sources = Enumerable.Range(0, 40).Select(i => $"/s/slide_{i:D2}.svs").ToList();

        // Each host on a thread of its own, all started before any works: a busy thread pool would otherwise let the
        // first host finish every source before the others began.
        using var start = new Barrier(3);
        var runs = new[] { "node-a", "node-b", "node-c" }
            .Select(host =>
                Task.Factory.StartNew(
                    () =>
                    {
                        start.SignalAndWait();
                        return world.Run(host, sources, _ => { });
                    },
                    TaskCreationOptions.LongRunning
                )
            )
            .ToArray();
        var results = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(40, world.Written.Count);
        Assert.All(world.Computations.Values, n => Assert.Equal(1, n));
        Assert.Equal(40, results.Sum(r => r.Computed));
        Assert.True(world.Written.Values.Distinct().Count() > 1); // the work was shared
    }
}
