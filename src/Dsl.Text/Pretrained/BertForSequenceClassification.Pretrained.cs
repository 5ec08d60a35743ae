using Dsl.Text.Pretrained;

namespace Dsl.Text.Modeling;

public sealed partial class BertForSequenceClassification
{
    /// <summary>
    /// Loads a Hugging Face folder (<c>config.json</c>, <c>model.safetensors</c>): a
    /// <c>BertForSequenceClassification</c>, <c>BertModel</c> or <c>BertForPreTraining</c>
    /// checkpoint. Weights the checkpoint lacks (a new <c>classifier</c>) are initialised as HF does and
    /// reported; weights the model has no place for (<c>cls.*</c>) are reported and ignored. The model
    /// is returned in eval mode, as HF's <c>from_pretrained</c> returns it.
    /// </summary>
    /// <exception cref="InvalidDataException">A weight's shape or dtype differs from the model's; the message names the file and the weight.</exception>
    /// <exception cref="NotSupportedException">The folder holds only <c>pytorch_model.bin</c> and <see cref="PretrainedOptions.AllowPickle"/> is off; the message says how to convert it.</exception>
    public static BertForSequenceClassification FromPretrained(string directory, PretrainedOptions? options = null) =>
        FromPretrained(directory, out _, options);

    /// <summary>Same as <see cref="FromPretrained(string, PretrainedOptions?)"/>, and says what was loaded (HF's <c>output_loading_info</c>).</summary>
    public static BertForSequenceClassification FromPretrained(string directory, out LoadReport report, PretrainedOptions? options = null)
    {
        options ??= new PretrainedOptions();
        var model = new BertForSequenceClassification(PretrainedFolder.Config(directory, options));
        report = PretrainedFolder.Load(model, directory, options);
        return model;
    }

    /// <summary>Writes <c>config.json</c> and <c>model.safetensors</c>, which HF's <c>from_pretrained</c> reads.</summary>
    public void SavePretrained(string directory) => PretrainedFolder.Save(this, ToConfigJson(), directory);
}
