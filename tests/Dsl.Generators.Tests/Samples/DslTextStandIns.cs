// Stand-ins for the Dsl.Text types DSL052 checks, by their metadata names: the sample compiles without
// Dsl.Text. Not compiled into the tests; AllDiagnosticsTests adds it to the sample's compilation.
namespace Dsl.Text.Modeling
{
    public sealed record BertConfig
    {
        public string? AttnImplementation { get; init; }
    }
}
