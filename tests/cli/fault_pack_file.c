/*
 * fault_pack_file.c - a fault for cli.import_fault, loaded with LD_PRELOAD
 * into the real carelog binary: creating a temporary file (mkostemp) fails
 * with ENOSPC when it is called off the process's main thread for a path
 * containing $CARELOG_FAULT_CHART. Only the thread that writes an import's
 * packs in the background (engine/src/pack_background.c, through
 * pack_write.c) creates files off the main thread, so exactly that pack
 * fails, as a full disk would make it fail. Everything else is the real
 * libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int faulty(const char *path)
{
	const char *chart = getenv("CARELOG_FAULT_CHART");
	/* the main thread's id is the process id */
	return chart && *chart && syscall(SYS_gettid) != getpid() && strstr(path, chart);
}

int mkostemp(char *template, int flags)
{
	int (*real)(char *, int) = (int (*)(char *, int))dlsym(RTLD_NEXT, "mkostemp");
	if (faulty(template)) {
		errno = ENOSPC;
		return -1;
	}
	return real(template, flags);
}

int mkostemp64(char *template, int flags)
{
	int (*real)(char *, int) = (int (*)(char *, int))dlsym(RTLD_NEXT, "mkostemp64");
	if (faulty(template)) {
		errno = ENOSPC;
		return -1;
	}
	return real(template, flags);
}
