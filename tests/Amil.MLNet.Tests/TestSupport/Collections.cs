using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Tests that measure or steer the whole process (its page faults, the GC): no other test runs beside them.
/// Library state (device, cache folder, kernel choice) never needs this: no test changes it for the process.</summary>
[CollectionDefinition("alone", DisableParallelization = true)]
public sealed class AloneCollection;

/// <summary>Tests that share one short real training run (<see cref="TrainedRunFixture"/>), trained once.</summary>
[CollectionDefinition("trained")]
public sealed class TrainedCollection : ICollectionFixture<TrainedRunFixture>;
