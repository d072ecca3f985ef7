using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Tests that change process-wide state (libtorch's kernel choice, the GC): no other test runs beside
/// them.</summary>
[CollectionDefinition("alone", DisableParallelization = true)]
public sealed class AloneCollection;

/// <summary>Tests that share one short real training run (<see cref="TrainedRunFixture"/>), trained once.</summary>
[CollectionDefinition("trained")]
public sealed class TrainedCollection : ICollectionFixture<TrainedRunFixture>;
