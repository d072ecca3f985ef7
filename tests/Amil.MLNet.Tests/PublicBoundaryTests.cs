using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The packages' own users (data, localization, the application layer, the CLI, the viewer) prove the
/// public API, and so do the packages among themselves: only the tests see internals. What the packages share
/// (saved-state and TIFF plumbing, the feature store) is public and hidden from IntelliSense.</summary>
public class PublicBoundaryTests
{
    [Theory]
    [InlineData(typeof(Transforms.Images.RgbImage), "Amil.MLNet.Tests")]
    [InlineData(typeof(Slides.SlideImage), "Amil.MLNet.Tests")]
    [InlineData(typeof(Trainers.AmilModel), "Amil.MLNet.Tests")]
    [InlineData(typeof(Maps.Metrics.Froc), "")]
    [InlineData(typeof(Data.Datasets.DatasetReader), "Amil.MLNet.Tests")]
    [InlineData(typeof(Application.Jobs.TrainJob), "Amil.MLNet.Tests")]
    [InlineData(typeof(Viewer.ViewerServer), "Amil.MLNet.Tests")]
    public void OnlyTheTestsSeeInternals(Type member, string friends)
    {
        var actual = member
            .Assembly.GetCustomAttributes<InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName)
            .Order()
            .ToArray();
        Assert.Equal(friends.Split(',', StringSplitOptions.RemoveEmptyEntries).Order().ToArray(), actual);
    }

    [Theory]
    [InlineData(typeof(Transforms.Persistence.StateBlob))]
    [InlineData(typeof(Transforms.Persistence.PersistedState))]
    [InlineData(typeof(Transforms.Features.FeatureStore))]
    [InlineData(typeof(Transforms.Images.TiffCodec))]
    [InlineData(typeof(Transforms.CatalogEnvironment))]
    public void SharedPlumbingIsHiddenFromUsers(Type plumbing)
    {
        var browsable = plumbing.GetCustomAttribute<System.ComponentModel.EditorBrowsableAttribute>();
        Assert.Equal(System.ComponentModel.EditorBrowsableState.Never, browsable?.State);
    }
}
