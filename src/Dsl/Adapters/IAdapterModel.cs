namespace Dsl.Adapters;

/// <summary>
/// A model trained through an adapter: only a small part of it trains, and checkpoints hold only that part. The
/// checkpoint code asks for this interface, on the model itself or on the adapter applied to it (<see cref="LoraModel"/>),
/// and when it finds one writes what <see cref="SaveAdapter"/> writes instead of <c>model.safetensors</c>; a resume
/// and <c>LoadBestModelAtEnd</c> load it back with <see cref="LoadAdapter"/>. The base weights never change, so the
/// model is the base model (loaded as before the run) plus the adapter.
/// </summary>
public interface IAdapterModel
{
    /// <summary>Writes what trains into <paramref name="directory"/> (created if needed).</summary>
    void SaveAdapter(string directory);

    /// <summary>
    /// Loads what <see cref="SaveAdapter"/> wrote into this adapter; every tensor must be there, with its shape, and the
    /// adapter must have been trained on this base model.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder holds no adapter.</exception>
    /// <exception cref="InvalidDataException">The adapter does not fit this model; the message says why.</exception>
    void LoadAdapter(string directory);
}
