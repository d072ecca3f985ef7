using System.Diagnostics;
using System.Text;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Images;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Where results cannot be written, or an input cannot be named: exit 1 with the thing named, nothing
/// half-written left.</summary>
[Collection("trained")]
public class OutputErrorTests(TrainedRunFixture run)
{
    private string ModelPath => Path.Combine(run.RunDirectory, "model.zip");

    [Fact]
    public void AnOutputFolderThatIsAFileIsAUserError()
    {
        var file = Path.Combine(TestTemp.Folder("amil-outfile-").FullName, "predictions");
        File.WriteAllText(file, "keep me");
        var (exit, _, stderr) = Programs.Predict(ModelPath, run.SomeImages(1)[0], file);
        Assert.Equal(1, exit);
        Assert.Contains($"{file} is a file", stderr);
        Assert.Equal("keep me", File.ReadAllText(file));

        var below = Path.Combine(file, "sub");
        (exit, _, stderr) = Programs.Predict(ModelPath, run.SomeImages(1)[0], below);
        Assert.Equal(1, exit);
        Assert.Contains($"{file} is a file", stderr);
    }

    [SkippableFact]
    public void AFullDiskEndsAnAtomicWriteWithTheFolderNamedAndNothingLeft()
    {
        Skip.IfNot(File.Exists("/dev/full"), "needs /dev/full (Linux), which answers every write with ENOSPC");
        var folder = TestTemp.Folder("amil-full-").FullName;
        var target = Path.Combine(folder, "model.zip");
        var e = Assert.Throws<DiskFullException>(() =>
            AtomicFile.Write(
                target,
                temp =>
                {
                    File.WriteAllText(temp, "half");
                    using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write);
                    full.Write(new byte[4096]);
                    full.Flush();
                }
            )
        );
        Assert.Contains(folder, e.Message);
        Assert.Contains("is full", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    /// <summary>The whole CLI on a real full disk: a 1 MB tmpfs, filled up. Needs root (mount); says so
    /// otherwise.</summary>
    [SkippableFact]
    public void PredictOnAFullDiskExitsOneNamingTheFolder()
    {
        var disk = TestTemp.Folder("amil-tmpfs-").FullName;
        Skip.IfNot(Mount(disk), "needs root on Linux to mount a 1 MB tmpfs");
        try
        {
            try
            {
                using var filler = File.Create(Path.Combine(disk, "filler"));
                var block = new byte[64 * 1024];
                while (true)
                    filler.Write(block);
            }
            catch (IOException) { }
            var (exit, _, stderr) = Programs.Predict(ModelPath, run.SomeImages(1)[0], disk);
            Assert.Equal(1, exit);
            Assert.Contains($"The disk holding {disk} is full", stderr);
            Assert.DoesNotContain("internal error", stderr);
            Assert.Equal(["filler"], Directory.GetFileSystemEntries(disk).Select(Path.GetFileName));
        }
        finally
        {
            Process.Start("umount", disk)!.WaitForExit();
        }
    }

    private static bool Mount(string folder)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            return false;
        try
        {
            using var mount = Process.Start(
                new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", folder])
                {
                    RedirectStandardError = true,
                }
            )!;
            mount.WaitForExit();
            return mount.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    [SkippableFact]
    public void AFileNameThatIsNotUtf8IsNamedAsSuch()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "file names as raw bytes are a Linux matter");
        var folder = TestTemp.Folder("amil-name-").FullName;
        var image = Path.Combine(folder, "plain.png");
        File.Copy(run.SomeImages(1)[0], image);
        // Rename through the shell with raw bytes 0xFF 0xFE: .NET cannot spell such a name.
        var rename = Process.Start("sh", ["-c", $"mv '{image}' \"$(printf '{folder}/bad\\377\\376.png')\""])!;
        rename.WaitForExit();
        Assert.Equal(0, rename.ExitCode);
        var listed = Directory.GetFiles(folder).Single();
        Assert.Contains('\uFFFD', listed);
        var e = Assert.Throws<ImageReadException>(() => RgbImageReader.Read(listed));
        Assert.Contains("not valid UTF-8", e.Message);
        Assert.DoesNotContain("not found", e.Message);
        var output = Path.Combine(TestTemp.Folder("amil-name-out-").FullName, "out");
        var (exit, _, stderr) = Programs.Predict(ModelPath, folder, output);
        Assert.Equal(1, exit);
        Assert.Contains("not valid UTF-8", stderr);
    }
}
