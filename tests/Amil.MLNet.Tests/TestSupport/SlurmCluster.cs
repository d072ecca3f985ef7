using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Amil.MLNet.Tests;

/// <summary>A private single-node Slurm cluster on localhost, as Debian's slurm-wlm and munge install it: its own
/// munge key and socket, slurm.conf, state and log folders under one test folder, so it touches nothing of the
/// machine's own Slurm. Commands run against it through <see cref="Environment"/> (SLURM_CONF).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class SlurmCluster : IDisposable
{
    private static readonly string[] Daemons =
    [
        "munged",
        "slurmctld",
        "slurmd",
        "sbatch",
        "squeue",
        "scontrol",
        "scancel",
        "sinfo",
    ];

    private readonly string _folder;

    private SlurmCluster(string folder) => _folder = folder;

    /// <summary>What a test needs to say it was skipped, or null when a cluster can start here: the daemons are
    /// installed and the test runs as root (slurmd launches jobs as their user; munged and the daemons run as root
    /// with a private key).</summary>
    public static string? Missing()
    {
        var absent = Daemons.Where(d => Which(d) is null).ToList();
        if (absent.Count > 0)
            return $"Slurm is not installed ({string.Join(", ", absent)} not found; apt-get install slurm-wlm munge)";
        return System.Environment.UserName == "root"
            ? null
            : "the single-node Slurm cluster needs root to start slurmd";
    }

    /// <summary>SLURM_CONF for sbatch, squeue and scontrol.</summary>
    public IReadOnlyDictionary<string, string> Environment =>
        new Dictionary<string, string> { ["SLURM_CONF"] = Path.Combine(_folder, "slurm.conf") };

    public static SlurmCluster Start(string folder)
    {
        var cluster = new SlurmCluster(folder);
        try
        {
            cluster.StartMunge();
            cluster.WriteConfig();
            cluster.Run("slurmctld", "-i");
            cluster.Run("slurmd");
            cluster.WaitUntilIdle(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>Runs a command against this cluster (its SLURM_CONF) in <paramref name="workingDirectory"/>, with
    /// extra environment variables; fails naming its output when it exits non-zero.</summary>
    public string Run(
        string command,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null,
        params string[] args
    )
    {
        var start = new ProcessStartInfo(Which(command) ?? command, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? _folder,
        };
        foreach (var (name, value) in Environment.Concat(environment ?? new Dictionary<string, string>()))
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{command} {string.Join(' ', args)} exited {process.ExitCode}:\n{stderr}\n{stdout.Result}\n{Logs()}"
            );
        return stdout.Result;
    }

    private string Run(string command, params string[] args) => Run(command, null, null, args);

    /// <summary>Waits until no job is pending or running; fails with the queue and the daemons' logs when the time
    /// runs out.</summary>
    public void WaitForEmptyQueue(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        string queue;
        while ((queue = Run("squeue", "-h", "-o", "%i %j %T %r")).Trim().Length > 0)
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"jobs still queued after {timeout}:\n{queue}\n{Logs()}");
            Thread.Sleep(1000);
        }
    }

    /// <summary>The tail of the controller's and the node daemon's logs, for failure messages.</summary>
    public string Logs() =>
        string.Join(
            '\n',
            new[] { "slurmctld.log", "slurmd.log" }.Select(name =>
            {
                var path = Path.Combine(_folder, "log", name);
                var lines = File.Exists(path) ? File.ReadAllLines(path) : [];
                return $"== {name}\n" + string.Join('\n', lines.TakeLast(30));
            })
        );

    public void Dispose()
    {
        try
        {
            if (File.Exists(Path.Combine(_folder, "slurmctld.pid")))
            {
                Run("scancel", "--user=root");
                Run("scontrol", "shutdown");
            }
            if (File.Exists(Path.Combine(_folder, "munge", "munged.pid")))
                Run("munged", "--stop", $"--socket={_folder}/munge/munge.sock");
        }
        catch (InvalidOperationException)
        {
            // What did not stop is stopped below by its pid file.
        }
        foreach (var pidFile in new[] { "slurmctld.pid", "slurmd.pid", "munge/munged.pid" })
            Stop(Path.Combine(_folder, pidFile));
    }

    private void StartMunge()
    {
        var munge = Directory.CreateDirectory(Path.Combine(_folder, "munge")).FullName;
        Directory.CreateDirectory(Path.Combine(_folder, "log"));
        var key = Path.Combine(munge, "munge.key");
        File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024));
        File.SetUnixFileMode(key, UnixFileMode.UserRead);
        Run(
            "munged",
            "--force",
            $"--socket={munge}/munge.sock",
            $"--key-file={key}",
            $"--pid-file={munge}/munged.pid",
            $"--seed-file={munge}/munged.seed",
            $"--log-file={_folder}/log/munged.log"
        );
    }

    /// <summary>One node with the machine's real cores declared as 16 CPUs and 64 GB (config_overrides), so the
    /// docs' scripts run unedited with their resource requests.</summary>
    private void WriteConfig()
    {
        foreach (var sub in new[] { "state", "spool" })
            Directory.CreateDirectory(Path.Combine(_folder, sub));
        string host = Dns.GetHostName().Split('.')[0];
        File.WriteAllText(
            Path.Combine(_folder, "slurm.conf"),
            $"""
            ClusterName=amiltest
            SlurmctldHost={host}(127.0.0.1)
            SlurmUser=root
            SlurmdUser=root
            SlurmctldPort={FreePort()}
            SlurmdPort={FreePort()}
            AuthType=auth/munge
            AuthInfo=socket={_folder}/munge/munge.sock
            CredType=cred/munge
            StateSaveLocation={_folder}/state
            SlurmdSpoolDir={_folder}/spool
            SlurmctldPidFile={_folder}/slurmctld.pid
            SlurmdPidFile={_folder}/slurmd.pid
            SlurmctldLogFile={_folder}/log/slurmctld.log
            SlurmdLogFile={_folder}/log/slurmd.log
            SlurmdParameters=config_overrides
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            MpiDefault=none
            SwitchType=switch/none
            SchedulerType=sched/backfill
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core_Memory
            ReturnToService=2
            JobCompType=jobcomp/none
            AccountingStorageType=accounting_storage/none
            JobAcctGatherType=jobacct_gather/none
            NodeName={host} NodeAddr=127.0.0.1 CPUs=16 RealMemory=64000 State=UNKNOWN
            PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP

            """
        );
    }

    private void WaitUntilIdle(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        string state = "";
        while (clock.Elapsed < timeout)
        {
            try
            {
                state = Run("sinfo", "-h", "-o", "%t").Trim();
                if (state == "idle")
                    return;
            }
            catch (InvalidOperationException e)
            {
                state = e.Message; // the controller is still starting
            }
            Thread.Sleep(500);
        }
        throw new TimeoutException($"the node is not idle after {timeout} ({state}):\n{Logs()}");
    }

    private static void Stop(string pidFile)
    {
        if (!File.Exists(pidFile))
            return;
        var text = File.ReadAllText(pidFile).Trim();
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid))
            return;
        try
        {
            using var process = Process.GetProcessById(pid);
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
                process.Kill();
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? Which(string command) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':')
            .Concat(["/usr/sbin", "/sbin"])
            .Select(dir => Path.Combine(dir, command))
            .FirstOrDefault(File.Exists);
}
