using System.Reflection;
using Microsoft.ML.Runtime;

namespace Amil.MLNet.Transforms;

/// <summary>
/// The environment behind an ML.NET catalog (<c>ml.Transforms</c>, <c>ml.MulticlassClassification.Trainers</c>): the
/// user's MLContext, whose seed and log our stages use as ML.NET's own do. ML.NET keeps the catalog's environment
/// behind an internal interface, so it is read by reflection; ML.NET offers no public way to build stages on a given
/// environment, so the inner stages (custom mappings, copies) are still built on a context of their own, which holds
/// no state of the user's.
/// </summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class CatalogEnvironment
{
    private const string Property = "Microsoft.ML.Data.IInternalCatalog.Environment";

    /// <summary>The catalog's environment, or null where this ML.NET hides it elsewhere.</summary>
    public static IHostEnvironment? Of(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        for (var type = catalog.GetType(); type is not null; type = type.BaseType)
            if (
                type.GetProperty(Property, BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(catalog)
                is IHostEnvironment environment
            )
                return environment;
        return null;
    }
}
