using System.Runtime.CompilerServices;
using Dsl.Distributed;

// The core package finds this engine by the assembly's name and this attribute (see DistributedEngine).
[assembly: DistributedEngine(typeof(MpiEngine))]

// The binding passes only integers and pointers: no marshalling, and function pointers may be typed by the handle.
[assembly: DisableRuntimeMarshalling]

namespace Dsl.Distributed;

/// <summary>The MPI engine: joins a process started by mpirun, mpiexec or srun to MPI_COMM_WORLD.</summary>
public sealed class MpiEngine : DistributedEngine
{
    /// <inheritdoc/>
    public override string Name => "mpi";

    /// <inheritdoc/>
    public override ProcessGroup Join(Launch launch, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(launch);
        return MpiProcessGroup.Initialize(launch, timeout);
    }
}
