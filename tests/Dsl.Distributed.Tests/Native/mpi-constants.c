/* Prints the handle values an MPI's mpi.h defines, for tests/Dsl.Distributed.Tests/Native/AbiTests.cs:
 * "NAME value 0x..." for an integer handle (MPICH's ABI) or "NAME symbol SYMBOL" for a handle that is the
 * address of an exported object (Open MPI's), found with dladdr. Built with each MPI's compiler wrapper
 * (mpicc.mpich, mpicc.openmpi), so the values come from the header, not from anyone's memory. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <mpi.h>
#include <stdio.h>

static void show(const char *name, const void *handle)
{
    Dl_info info;
    if (dladdr(handle, &info) && info.dli_sname && info.dli_saddr == handle)
        printf("%s symbol %s\n", name, info.dli_sname);
    else
        printf("%s value 0x%lx\n", name, (unsigned long)(size_t)handle);
}

#define SHOW(handle) show(#handle, (const void *)(size_t)(handle))

int main(void)
{
    SHOW(MPI_COMM_WORLD);
    SHOW(MPI_BYTE);
    SHOW(MPI_INT);
    SHOW(MPI_FLOAT);
    SHOW(MPI_DOUBLE);
    SHOW(MPI_LONG_LONG);
    SHOW(MPI_SUM);
    SHOW(MPI_ERRORS_RETURN);
    SHOW(MPI_IN_PLACE);
    printf("MPI_THREAD_MULTIPLE int %d\n", MPI_THREAD_MULTIPLE);
    printf("MPI_SUCCESS int %d\n", MPI_SUCCESS);
    printf("sizeof(MPI_Comm) int %zu\n", sizeof(MPI_Comm));
    printf("sizeof(MPI_Datatype) int %zu\n", sizeof(MPI_Datatype));
    printf("sizeof(MPI_Op) int %zu\n", sizeof(MPI_Op));
    printf("sizeof(MPI_Errhandler) int %zu\n", sizeof(MPI_Errhandler));
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length;
    MPI_Get_library_version(version, &length);
    printf("version %.*s\n", 60, version);
    return 0;
}
