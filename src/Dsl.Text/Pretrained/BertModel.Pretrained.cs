using Dsl.Text.Pretrained;

namespace Dsl.Text.Modeling;

public sealed partial class BertModel
{
    /// <summary>
    /// Loads a Hugging Face folder (<c>config.json</c>, <c>model.safetensors</c>) into the encoder: a
    /// <c>BertModel</c> checkpoint, or the <c>bert.*</c> weights of a checkpoint with a head (the
    /// head's weights are reported as unexpected). Returned in eval mode.
    /// </summary>
    /// <exception cref="InvalidDataException">A weight's shape or dtype differs from the model's.</exception>
    /// <exception cref="NotSupportedException">The folder holds only <c>pytorch_model.bin</c> and pickles are not allowed.</exception>
    public static BertModel FromPretrained(string directory, PretrainedOptions? options = null) =>
        FromPretrained(directory, out _, options);

    /// <summary>Same as <see cref="FromPretrained(string, PretrainedOptions?)"/>, and says what was loaded.</summary>
    public static BertModel FromPretrained(string directory, out LoadReport report, PretrainedOptions? options = null)
    {
        options ??= new PretrainedOptions();
        var model = new BertModel(PretrainedFolder.Config(directory, options));
        report = PretrainedFolder.Load(model, directory, options);
        return model;
    }

    /// <summary>Writes <c>config.json</c> and <c>model.safetensors</c>, which HF's <c>from_pretrained</c> reads.</summary>
    public void SavePretrained(string directory) => PretrainedFolder.Save(this, ToConfigJson(), directory);
}
