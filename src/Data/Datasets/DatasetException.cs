namespace Amil.MLNet.Data.Datasets;

/// <summary>A problem with a dataset or its configuration that the user can fix; the message says what and
/// how.</summary>
public sealed class DatasetException(string message) : Exception(message);
