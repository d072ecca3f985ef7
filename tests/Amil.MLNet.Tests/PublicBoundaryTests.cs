using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The packages' own users (data, localization, the application layer, the CLI, the viewer) prove the
/// public API: only the tests see internals, and the three packages share theirs only among themselves.</summary>
public class PublicBoundaryTests
{
    [Theory]
    [InlineData(typeof(Transforms.Images.RgbImage), "Amil.MLNet.Slides,Amil.MLNet.Trainers,Amil.MLNet.Tests")]
    [InlineData(typeof(Slides.SlideImage), "Amil.MLNet.Trainers,Amil.MLNet.Tests")]
    [InlineData(typeof(Trainers.AmilModel), "Amil.MLNet.Tests")]
    [InlineData(typeof(Maps.Metrics.Froc), "")]
    [InlineData(typeof(Data.Datasets.DatasetReader), "Amil.MLNet.Tests")]
    [InlineData(typeof(Application.Jobs.TrainJob), "Amil.MLNet.Tests")]
    [InlineData(typeof(Viewer.ViewerServer), "Amil.MLNet.Tests")]
    public void OnlyTheTestsAndTheSiblingPackagesSeeInternals(Type member, string friends)
    {
        var actual = member
            .Assembly.GetCustomAttributes<InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName)
            .Order()
            .ToArray();
        Assert.Equal(friends.Split(',', StringSplitOptions.RemoveEmptyEntries).Order().ToArray(), actual);
    }
}
