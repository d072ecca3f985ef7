using TorchSharp;
using Xunit;

namespace Amil.MLNet.Tests;

public class TorchLoadTests
{
    [Fact]
    public void TorchSharpLoadsAndComputes()
    {
        var x = torch.ones(2, 3);
        Assert.Equal(6f, x.sum().item<float>());
    }
}
