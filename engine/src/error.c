/*
 * error.c - the per-thread last error. Thread-local so that threads working
 * on different stores never see each other's messages (unlike a global
 * "last error").
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CARELOG__MSG_MAX 1024

static _Thread_local char tls_message[CARELOG__MSG_MAX];
static _Thread_local carelog_error tls_error = { 0, "" };

int carelog__fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tls_message, sizeof(tls_message), fmt, ap);
	va_end(ap);
	tls_error.code = code;
	tls_error.message = tls_message;
	return code;
}

int carelog__fail_prefix(const char *fmt, ...)
{
	char prefix[CARELOG__MSG_MAX], old[CARELOG__MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, tls_message, sizeof(old));
	snprintf(tls_message, sizeof(tls_message), "%.300s: %.700s", prefix, old);
	tls_error.message = tls_message;
	return tls_error.code;
}

int carelog__last_code(void)
{
	return tls_error.code;
}

const carelog_error *carelog_error_last(void)
{
	if (tls_error.message == NULL)
		tls_error.message = "";
	return &tls_error;
}

void carelog_error_clear(void)
{
	tls_message[0] = '\0';
	tls_error.code = 0;
	tls_error.message = tls_message;
}
