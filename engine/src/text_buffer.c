/*
 * text_buffer.c - a growing text buffer for the exports, which build their
 * output in memory before it is written out in one piece.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "exchange_internal.h"

void carelog__text_add(carelog__text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *p;
		while (t->len + n + 1 > cap)
			cap *= 2;
		if ((p = realloc(t->data, cap)) == NULL) {
			t->failed = 1;
			return;
		}
		t->data = p;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, n);
	t->len += n;
	t->data[t->len] = '\0';
}

void carelog__text_puts(carelog__text *t, const char *s)
{
	carelog__text_add(t, s, strlen(s));
}

int carelog__text_finish(char **out, size_t *len, carelog__text *t)
{
	carelog__text_add(t, "", 0);
	if (t->failed) {
		free(t->data);
		*t = (carelog__text){ NULL, 0, 0, 0 };
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	*out = t->data;
	*len = t->len;
	*t = (carelog__text){ NULL, 0, 0, 0 };
	return 0;
}
