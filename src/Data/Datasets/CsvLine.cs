using System.Text;

namespace Amil.MLNet.Data.Datasets;

/// <summary>One line of a delimited table (comma or tab), with RFC 4180 quoting: a field in double quotes may hold the
/// delimiter, and a doubled quote inside it is one quote.</summary>
internal static class CsvLine
{
    public static List<string> Fields(string line, char delimiter = ',')
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                (current, i) = (current.Append('"'), i + 1);
            else if (c == '"')
                quoted = !quoted;
            else if (c == delimiter && !quoted)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
                current.Append(c);
        }
        fields.Add(current.ToString());
        return fields;
    }

    /// <summary>The delimiter a table's name implies: tab for .tsv and .txt, else comma.</summary>
    public static char Delimiter(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".tsv" or ".txt" ? '\t' : ',';
}
