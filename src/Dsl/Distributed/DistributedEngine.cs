using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Dsl.Distributed;

/// <summary>
/// What joins a launched process to its job: the MPI engine lives in the <c>Dsl.Distributed</c> package, so
/// that the core package has no MPI dependency. The core finds it at run time, only when a launcher started
/// the process with more than one rank: it loads the assembly <see cref="AssemblyName"/> by name (a package
/// reference puts it in the application's dependencies even though no code names a type of it) and creates
/// the type its <see cref="DistributedEngineAttribute"/> names. So a program runs unchanged under mpirun once
/// its project references the package, and a program that never runs under mpirun never loads MPI.
/// </summary>
public abstract class DistributedEngine
{
    /// <summary>The assembly (and package) that holds the engine.</summary>
    public const string AssemblyName = "Dsl.Distributed";

    /// <summary>The engine's name, for messages (<c>mpi</c>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Joins this process to the job <paramref name="launch"/> describes; waits at most <paramref name="timeout"/>
    /// for the other ranks, then ends the process with a message.
    /// </summary>
    public abstract ProcessGroup Join(Launch launch, TimeSpan timeout);

    /// <summary>The engine of <paramref name="assemblyName"/>, or a message that says which package to reference.</summary>
    /// <exception cref="InvalidOperationException">The assembly is not part of the application, or names no engine.</exception>
    internal static DistributedEngine Find(Launch launch, string assemblyName = AssemblyName)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (FileNotFoundException)
        {
            throw new InvalidOperationException(
                $"This process was started by {launch.Launcher} as rank {launch.Rank} of {launch.WorldSize}, and data-parallel " +
                $"training needs the {assemblyName} package, which this program does not reference. Add it to the project " +
                $"(dotnet add package {assemblyName}) and rebuild; see docs/distributed.md.");
        }
        var attribute = assembly.GetCustomAttribute<DistributedEngineAttribute>()
            ?? throw new InvalidOperationException(
                $"The assembly {assembly.GetName().Name} ({assembly.Location}) names no engine ([assembly: DistributedEngine(...)]); " +
                $"reference the {AssemblyName} package of the same version as Dsl.");
        return (DistributedEngine)Activator.CreateInstance(attribute.EngineType)!;
    }
}

/// <summary>Names the <see cref="DistributedEngine"/> of an engine assembly (see <see cref="DistributedEngine.AssemblyName"/>).</summary>
/// <param name="engineType">A <see cref="DistributedEngine"/> with a public parameterless constructor.</param>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class DistributedEngineAttribute(
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type engineType) : Attribute
{
    /// <summary>The engine's type.</summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type EngineType { get; } = engineType;
}
