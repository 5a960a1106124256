/* version.c - the library version and the free function for returned strings. */
#include <stdlib.h>

#include "carelog/common.h"

const char *carelog_version(void)
{
	return CARELOG_VERSION_STRING;
}

void carelog_free(void *ptr)
{
	free(ptr);
}
