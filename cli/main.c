/* main.c - placeholder until the CLI lands (being written now). */
#include <stdio.h>

#include "carelog.h"

int main(void)
{
	printf("carelog %s\n", carelog_version());
	return 0;
}
