/*
 * report_text.c - text in the visit report: HTML escaping of everything that
 * comes from a record (a note reading <script>... stays text), the number
 * formats, and local times on the patient's clock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

static void escaped(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* records hold no other control characters; should one slip
			 * through, HTML would call it a parse error */
			fputc(c < 0x20 && c != '\t' && c != '\n' ? ' ' : c == 0x7f ? ' ' : (int)c, f);
		}
	}
}

void carelog__html_text(FILE *f, const char *s)
{
	if (s)
		escaped(f, s, strlen(s));
}

void carelog__html_text_cut(FILE *f, const char *s, size_t max)
{
	size_t n;
	if (s == NULL)
		return;
	if ((n = strlen(s)) <= max) {
		escaped(f, s, n);
		return;
	}
	/* back to the first byte of a UTF-8 character */
	for (n = max; n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; n--)
		;
	escaped(f, s, n);
	fputs("\xe2\x80\xa6", f); /* U+2026 HORIZONTAL ELLIPSIS */
}

void carelog__html_textf(FILE *f, const char *fmt, ...)
{
	char small[256], *buf = small;
	va_list ap, again;
	int n;

	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	/* longer text is formatted whole, never cut (a cut could split a UTF-8
	 * character); should that allocation fail, it is cut at a character */
	if (n >= (int)sizeof(small) && (buf = malloc((size_t)n + 1)) != NULL)
		vsnprintf(buf, (size_t)n + 1, fmt, again);
	va_end(again);
	if (buf == NULL)
		carelog__html_text_cut(f, small, sizeof(small) - 2);
	else if (n >= 0)
		carelog__html_text(f, buf);
	if (buf != small)
		free(buf);
}

const char *carelog__report_num(char out[CARELOG__NUM_BUFSIZE], double v, int decimals)
{
	char *dot, *end;
	snprintf(out, CARELOG__NUM_BUFSIZE, "%.*f", decimals, v);
	if ((dot = strchr(out, '.')) != NULL) {
		for (end = out + strlen(out) - 1; end > dot && *end == '0'; end--)
			*end = '\0';
		if (end == dot)
			*dot = '\0';
	}
	if (strcmp(out, "-0") == 0)
		strcpy(out, "0");
	return out;
}

const char *carelog__report_local(char out[CARELOG__LOCAL_BUFSIZE], const carelog_report *r, int64_t ms)
{
	carelog__local_format(out, r->cd->tz, ms);
	out[10] = ' ';
	return out;
}

const char *carelog__report_local_of(char out[CARELOG__LOCAL_BUFSIZE], const carelog_report *r, const char *time)
{
	int64_t ms;
	out[0] = '\0';
	if (time && carelog__time_parse(&ms, time, "time") == 0)
		carelog__report_local(out, r, ms);
	return out;
}

void carelog__html_row_head(FILE *f, const char *attr, const char *name)
{
	fprintf(f, "<tr data-%s=\"", attr);
	carelog__html_text(f, name);
	fputs("\"><th>", f);
	carelog__html_text(f, name);
}

const char *carelog__month_abbr(unsigned month)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
		"Nov", "Dec" };
	return month >= 1 && month <= 12 ? months[month - 1] : "?";
}
