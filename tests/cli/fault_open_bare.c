/*
 * fault_open_bare.c - a fault for cli.import_fault, loaded with LD_PRELOAD
 * into the real carelog binary: libgit2's git_repository_open_bare fails
 * when it is called off the process's main thread for a path containing
 * $CARELOG_FAULT_CHART. Only the thread that writes an import's packs in
 * the background (engine/src/pack_background.c) opens a chart off the main
 * thread, so exactly that pack fails, as a full disk or an unreadable
 * chart would make it fail. Everything else is the real libgit2.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <git2.h>

int git_repository_open_bare(git_repository **out, const char *path)
{
	int (*real)(git_repository **, const char *) =
		(int (*)(git_repository **, const char *))dlsym(RTLD_NEXT, "git_repository_open_bare");
	const char *chart = getenv("CARELOG_FAULT_CHART");
	/* the main thread's id is the process id */
	if (chart && *chart && syscall(SYS_gettid) != getpid() && strstr(path, chart)) {
		git_error_set_str(GIT_ERROR_OS, "injected failure (tests/cli/fault_open_bare.c)");
		return -1;
	}
	return real(out, path);
}
